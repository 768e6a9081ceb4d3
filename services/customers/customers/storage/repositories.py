"""The customers unit of work on PostgreSQL: SQLAlchemy repositories behind ``customers.ports``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from kernel import access_sql
from kernel.audit import AuditEntry
from kernel.consumer import held_version
from kernel.identity import Caller
from kernel.identity_events import USER_AGGREGATE
from kernel.repository import InsertLater, SqlRepository
from kernel.uow import SqlUnitOfWork, Units
from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from customers import contracts as c
from customers import policy
from customers.ports import CustomerQuery, CustomersUnit, Namesake, Owner, Position, TaskQuery
from customers.storage.models import (
    ContactRow,
    CustomerRow,
    DirectoryUserRow,
    FollowUpRow,
    TaskRow,
    audit_log,
    consumer,
    outbox,
)
from customers.storage.recent import RecentOwners

C = TypeVar("C", ContactRow, FollowUpRow, TaskRow)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_OWNERSHIP = {"owner_id": CustomerRow.owner_id, "team_id": CustomerRow.team_id}
# kind → its row and where each state field a read policy may name lives (a child takes its
# ownership from the customer, joined).
_TABLES: dict[str, tuple[Any, dict[str, Any]]] = {
    "customer": (CustomerRow, {"customer_id": CustomerRow.id, **_OWNERSHIP}),
    "contact": (ContactRow, {"customer_id": ContactRow.customer_id, **_OWNERSHIP}),
    "follow_up": (
        FollowUpRow,
        {"customer_id": FollowUpRow.customer_id, "author_id": FollowUpRow.author_id, **_OWNERSHIP},
    ),
    "task": (
        TaskRow,
        {
            "customer_id": TaskRow.customer_id,
            "assignee_id": TaskRow.assignee_id,
            "status": TaskRow.status,
            **_OWNERSHIP,
        },
    ),
}


def visible(kind: str, caller: Caller) -> Select[Any]:
    """The records of ``kind`` the caller may read: ``policy.READ[kind]`` as SQL."""
    model, columns = _TABLES[kind]
    stmt = select(model)
    if model is not CustomerRow:
        stmt = stmt.join(CustomerRow, CustomerRow.id == model.customer_id)
    return stmt.where(access_sql.visible(policy.READ[kind], caller, columns))


@functools.cache
def _owner_and_namesakes() -> Select[Any]:
    """The directory user and up to ``limit`` customers named ``name_key`` (a LATERAL join: one row
    per namesake, or one with no customer). Built once: building it is most of its CPU. Columns,
    not ORM entities: loading entities (identity map, instance state) doubled the call's CPU."""
    users: Any = DirectoryUserRow.__table__
    customers: Any = CustomerRow.__table__
    namesakes = (
        select(customers.c.id, customers.c.name, customers.c.owner_id, customers.c.team_id)
        .where(customers.c.name_key == bindparam("name_key"))
        .order_by(customers.c.id)
        .limit(bindparam("limit"))
        .subquery("namesakes")
        .lateral()
    )
    return (
        select(
            users.c.id,
            users.c.team_id,
            users.c.active,
            namesakes.c.id.label("namesake_id"),
            namesakes.c.name.label("namesake_name"),
            namesakes.c.owner_id.label("namesake_owner_id"),
            namesakes.c.team_id.label("namesake_team_id"),
        )
        .outerjoin(namesakes, true())
        .where(users.c.id == bindparam("owner_id"))
        .order_by(namesakes.c.id)
    )


@functools.cache
def _unchanged(with_tax_id: bool) -> ColumnElement[bool]:
    """``insert_if_unchanged``'s guard: the owner still active in the team the create assumed,
    no customer of the same name key (or tax id). Index lookups, in the INSERT's snapshot."""
    users: Any = DirectoryUserRow.__table__
    customers: Any = CustomerRow.__table__
    condition = and_(
        select(users.c.id)
        .where(
            users.c.id == bindparam("guard_owner_id"),
            users.c.active.is_(True),
            users.c.team_id.is_not_distinct_from(bindparam("guard_team_id", type_=users.c.team_id.type)),
        )
        .exists(),
        ~select(customers.c.id).where(customers.c.name_key == bindparam("guard_name_key")).exists(),
    )
    if with_tax_id:
        taken = select(customers.c.id).where(customers.c.tax_id == bindparam("guard_tax_id")).exists()
        condition = and_(condition, ~taken)
    return condition


class SqlCustomers(SqlRepository[CustomerRow]):
    model = CustomerRow

    def __init__(
        self,
        session: Session,
        insert_later: InsertLater,
        guard: Callable[[ColumnElement[bool], dict[str, Any]], None],
        owners: RecentOwners,
    ) -> None:
        super().__init__(session, insert_later)
        self._guard = guard
        self._owners = owners

    def remembered_owner(self, owner_id: str) -> Owner | None:
        return self._owners.get(owner_id)

    def insert_if_unchanged(self, row: CustomerRow, owner: Owner) -> None:
        params = {
            "guard_owner_id": owner.id,
            "guard_team_id": owner.team_id,
            "guard_name_key": row.name_key,
            "guard_tax_id": row.tax_id,
        }
        self._guard(_unchanged(bool(row.tax_id)), params)
        self.insert(row)

    def get_many(self, ids: Sequence[str]) -> dict[str, CustomerRow]:
        if not ids:
            return {}
        rows = self.session.scalars(select(CustomerRow).where(CustomerRow.id.in_(set(ids))))
        return {r.id: r for r in rows}

    def with_tax_id(self, tax_id: str, *, exclude: str | None) -> CustomerRow | None:
        stmt = select(CustomerRow).where(CustomerRow.tax_id == tax_id)
        if exclude:
            stmt = stmt.where(CustomerRow.id != exclude)
        return self.session.scalars(stmt.limit(1)).first()

    def with_name_key(self, key: str, *, exclude: str | None, limit: int) -> list[CustomerRow]:
        stmt = select(CustomerRow).where(CustomerRow.name_key == key)
        if exclude:
            stmt = stmt.where(CustomerRow.id != exclude)
        return list(self.session.scalars(stmt.order_by(CustomerRow.id).limit(limit)))

    def owner_and_namesakes(
        self, owner_id: str, key: str, *, limit: int
    ) -> tuple[Owner | None, list[Namesake]]:
        params = {"owner_id": owner_id, "name_key": key, "limit": limit}
        rows = self.session.execute(_owner_and_namesakes(), params).all()
        if not rows:
            self._owners.saw(owner_id, None)
            return None, []
        first = rows[0]
        owner = Owner(id=first[0], team_id=first[1], active=bool(first[2]))
        self._owners.saw(owner_id, owner)
        return owner, [
            Namesake(id=r[3], name=r[4], owner_id=r[5], team_id=r[6]) for r in rows if r[3] is not None
        ]

    def page(self, query: CustomerQuery, after: Position | None, size: int) -> list[CustomerRow]:
        stmt = visible("customer", query.caller)
        if query.owner_id:
            stmt = stmt.where(CustomerRow.owner_id == query.owner_id)
        if query.team_id:
            stmt = stmt.where(CustomerRow.team_id == query.team_id)
        if query.status:
            stmt = stmt.where(CustomerRow.status == query.status)
        if query.tag:
            stmt = stmt.where(CustomerRow.tags.contains([query.tag]))  # @>: the GIN index serves it
        if query.q:
            pattern = _like(query.q)
            stmt = stmt.where(
                or_(
                    CustomerRow.name.ilike(pattern),
                    CustomerRow.short_name.ilike(pattern),
                    CustomerRow.tax_id.ilike(pattern),
                )
            )
        if after is not None:
            stmt = stmt.where(CustomerRow.id < after.id)
        return list(self.session.scalars(stmt.order_by(CustomerRow.id.desc()).limit(size)))

    def owned_by(self, owner_id: str, ids: Sequence[str] | None) -> list[CustomerRow]:
        stmt = select(CustomerRow).where(CustomerRow.owner_id == owner_id)
        if ids is not None:
            stmt = stmt.where(CustomerRow.id.in_(ids))
        stmt = stmt.order_by(CustomerRow.id).with_for_update().execution_options(populate_existing=True)
        return list(self.session.scalars(stmt))

    def owned_outside_team(self, owner_id: str, team_id: str | None) -> list[CustomerRow]:
        stmt = select(CustomerRow).where(
            CustomerRow.owner_id == owner_id, CustomerRow.team_id.is_distinct_from(team_id)
        )
        stmt = stmt.order_by(CustomerRow.id).with_for_update().execution_options(populate_existing=True)
        return list(self.session.scalars(stmt))

    def export(self, after: str, size: int) -> list[CustomerRow]:
        stmt = select(CustomerRow).where(CustomerRow.id > after).order_by(CustomerRow.id).limit(size)
        return list(self.session.scalars(stmt))


class SqlChildren(SqlRepository[C], Generic[C]):
    def of_customer(self, customer_id: str, *, lock: bool = False) -> list[C]:
        model: Any = self.model
        stmt = select(model).where(model.customer_id == customer_id).order_by(model.id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return list(self.session.scalars(stmt))

    def page(self, customer_id: str, after: Position | None, size: int) -> list[C]:
        model: Any = self.model
        stmt = select(model).where(model.customer_id == customer_id)
        if after is not None:
            stmt = stmt.where(model.id < after.id)
        return list(self.session.scalars(stmt.order_by(model.id.desc()).limit(size)))

    def export(self, after: str, size: int) -> list[C]:
        model: Any = self.model
        return list(
            self.session.scalars(select(model).where(model.id > after).order_by(model.id).limit(size))
        )


class SqlContacts(SqlChildren[ContactRow]):
    model = ContactRow

    def primaries(self, customer_id: str) -> list[ContactRow]:
        stmt = (
            select(ContactRow)
            .where(and_(ContactRow.customer_id == customer_id, ContactRow.is_primary.is_(True)))
            .order_by(ContactRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(stmt))


class SqlFollowUps(SqlChildren[FollowUpRow]):
    model = FollowUpRow

    def page(self, customer_id: str, after: Position | None, size: int) -> list[FollowUpRow]:
        # The timeline: newest first by when it happened.
        stmt = select(FollowUpRow).where(FollowUpRow.customer_id == customer_id)
        if after is not None and after.at is not None:
            stmt = stmt.where(
                or_(
                    FollowUpRow.occurred_at < after.at,
                    and_(FollowUpRow.occurred_at == after.at, FollowUpRow.id < after.id),
                )
            )
        order = (FollowUpRow.occurred_at.desc(), FollowUpRow.id.desc())
        return list(self.session.scalars(stmt.order_by(*order).limit(size)))

    def citing(self, contact_id: str) -> list[FollowUpRow]:
        stmt = (
            select(FollowUpRow)
            .where(FollowUpRow.contact_id == contact_id)
            .order_by(FollowUpRow.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(stmt))


class SqlTasks(SqlChildren[TaskRow]):
    model = TaskRow

    def page_visible(self, query: TaskQuery, after: Position | None, size: int) -> list[TaskRow]:
        stmt = visible("task", query.caller)
        if query.customer_id:
            stmt = stmt.where(TaskRow.customer_id == query.customer_id)
        if query.assignee_id:
            stmt = stmt.where(TaskRow.assignee_id == query.assignee_id)
        if query.status:
            stmt = stmt.where(TaskRow.status == query.status)
        if query.overdue_at is not None:
            stmt = stmt.where(and_(TaskRow.status == "open", TaskRow.due_at < query.overdue_at))
        if after is not None:
            stmt = stmt.where(TaskRow.id < after.id)
        return list(self.session.scalars(stmt.order_by(TaskRow.id.desc()).limit(size)))

    def newly_overdue(self, now: datetime, batch: int) -> list[TaskRow]:
        stmt = (
            select(TaskRow)
            .where(
                and_(TaskRow.status == "open", TaskRow.overdue_notified_at.is_(None), TaskRow.due_at < now)
            )
            .order_by(TaskRow.due_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))


class SqlUsers(SqlRepository[DirectoryUserRow]):
    model = DirectoryUserRow

    def event_version(self, user_id: str) -> int | None:
        return held_version(self.session, consumer.consumed_versions, USER_AGGREGATE, user_id)


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, customer_id: str, after: Position | None, size: int) -> list[AuditEntry]:
        t = audit_log
        stmt = select(t).where(t.c.customer_id == customer_id)
        if after is not None:
            stmt = stmt.where(t.c.id < after.id)
        rows = self.session.execute(stmt.order_by(t.c.id.desc()).limit(size))
        return [AuditEntry.from_row(r) for r in rows]


class SqlCustomersUnit(SqlUnitOfWork, CustomersUnit):
    def __init__(self, sessions: sessionmaker[Session], caller: Caller, owners: RecentOwners) -> None:
        super().__init__(sessions, caller, service=c.SERVICE, outbox=outbox, audit_log=audit_log)
        self.customers = SqlCustomers(self.session, self.insert_new, self.guard, owners)
        self.contacts = SqlContacts(self.session)
        self.follow_ups = SqlFollowUps(self.session)
        self.tasks = SqlTasks(self.session)
        self.users = SqlUsers(self.session)
        self.audit_log = SqlAuditLog(self.session)


@functools.lru_cache(maxsize=16)
def sql_units(sessions: sessionmaker[Session]) -> Units[SqlCustomersUnit]:
    """Units of work on the customers database (retried on serialization failure or deadlock).

    One per sessionmaker (a service asks on every call): the owners its creates remember must
    outlive the call. Bounded, for the tests' many sessionmakers; a service has one."""
    owners = RecentOwners()
    return Units(lambda caller: SqlCustomersUnit(sessions, caller, owners))
