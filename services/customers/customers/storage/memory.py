"""The customers unit of work in memory (``customers.ports`` without PostgreSQL), for unit tests.

Same answers as ``storage.repositories`` for the same rows; locks are no-ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from kernel.audit import AuditEntry
from kernel.identity import Caller
from kernel.memory import FakeUnitOfWork, MemoryRepository, MemoryStore
from kernel.uow import GuardFailed, Units

from customers import contracts as c
from customers import policy
from customers.ports import CustomerQuery, CustomersUnit, Namesake, Owner, Position, TaskQuery
from customers.storage import states
from customers.storage.models import ContactRow, CustomerRow, DirectoryUserRow, FollowUpRow, TaskRow
from customers.storage.recent import RecentOwners

C = TypeVar("C", ContactRow, FollowUpRow, TaskRow)


def _contains(value: str | None, needle: str) -> bool:
    return value is not None and needle.lower() in value.lower()


def _newest_first(rows: list[Any], key: Callable[[Any], Any], after: Any, size: int) -> list[Any]:
    ordered = sorted(rows, key=key, reverse=True)
    if after is not None:
        ordered = [r for r in ordered if key(r) < after]
    return ordered[:size]


class MemoryCustomers(MemoryRepository[CustomerRow]):
    def __init__(
        self, rows: dict[str, CustomerRow], users: dict[str, DirectoryUserRow], owners: RecentOwners
    ) -> None:
        super().__init__(rows)
        self.users = users
        self._owners = owners

    def insert(self, row: CustomerRow) -> None:
        self.add(row)

    def remembered_owner(self, owner_id: str) -> Owner | None:
        return self._owners.get(owner_id)

    def insert_if_unchanged(self, row: CustomerRow, owner: Owner) -> None:
        """Checked at once: nothing else writes between here and the unit's commit."""
        user = self.users.get(owner.id)
        if (
            user is None
            or not user.active
            or user.team_id != owner.team_id
            or self.with_name_key(row.name_key, exclude=None, limit=1)
            or (row.tax_id and self.with_tax_id(row.tax_id, exclude=None))
        ):
            raise GuardFailed("the owner or the name changed since the owner was remembered")
        self.insert(row)

    def get_many(self, ids: Sequence[str]) -> dict[str, CustomerRow]:
        return {i: self.rows[i] for i in ids if i in self.rows}

    def with_tax_id(self, tax_id: str, *, exclude: str | None) -> CustomerRow | None:
        return next((r for r in self if r.tax_id == tax_id and r.id != exclude), None)

    def with_name_key(self, key: str, *, exclude: str | None, limit: int) -> list[CustomerRow]:
        return [r for r in self if r.name_key == key and r.id != exclude][:limit]

    def owner_and_namesakes(
        self, owner_id: str, key: str, *, limit: int
    ) -> tuple[Owner | None, list[Namesake]]:
        user = self.users.get(owner_id)
        if user is None:
            self._owners.saw(owner_id, None)
            return None, []
        owner = Owner(id=user.id, team_id=user.team_id, active=bool(user.active))
        self._owners.saw(owner_id, owner)
        rows = self.with_name_key(key, exclude=None, limit=limit)
        return owner, [Namesake(id=r.id, name=r.name, owner_id=r.owner_id, team_id=r.team_id) for r in rows]

    def page(self, query: CustomerQuery, after: Position | None, size: int) -> list[CustomerRow]:
        def keep(r: CustomerRow) -> bool:
            return (
                policy.CUSTOMER.can_read(query.caller, states.customer_state(r))
                and (not query.owner_id or r.owner_id == query.owner_id)
                and (not query.team_id or r.team_id == query.team_id)
                and (not query.status or r.status == query.status)
                and (not query.tag or query.tag in (r.tags or []))
                and (not query.q or any(_contains(v, query.q) for v in (r.name, r.short_name, r.tax_id)))
            )

        return _newest_first([r for r in self if keep(r)], lambda r: r.id, after and after.id, size)

    def owned_by(self, owner_id: str, ids: Sequence[str] | None) -> list[CustomerRow]:
        return [r for r in self if r.owner_id == owner_id and (ids is None or r.id in ids)]

    def owned_outside_team(self, owner_id: str, team_id: str | None) -> list[CustomerRow]:
        return [r for r in self if r.owner_id == owner_id and r.team_id != team_id]

    def export(self, after: str, size: int) -> list[CustomerRow]:
        return [r for r in self if r.id > after][:size]


class MemoryChildren(MemoryRepository[C], Generic[C]):
    def of_customer(self, customer_id: str, *, lock: bool = False) -> list[C]:
        return [r for r in self if r.customer_id == customer_id]

    def page(self, customer_id: str, after: Position | None, size: int) -> list[C]:
        return _newest_first(self.of_customer(customer_id), lambda r: r.id, after and after.id, size)

    def export(self, after: str, size: int) -> list[C]:
        return [r for r in self if r.id > after][:size]


class MemoryContacts(MemoryChildren[ContactRow]):
    def primaries(self, customer_id: str) -> list[ContactRow]:
        return [r for r in self.of_customer(customer_id) if r.is_primary]


class MemoryFollowUps(MemoryChildren[FollowUpRow]):
    def page(self, customer_id: str, after: Position | None, size: int) -> list[FollowUpRow]:
        position = (after.at, after.id) if after is not None and after.at is not None else None
        return _newest_first(self.of_customer(customer_id), lambda r: (r.occurred_at, r.id), position, size)

    def citing(self, contact_id: str) -> list[FollowUpRow]:
        return [r for r in self if r.contact_id == contact_id]


class MemoryTasks(MemoryChildren[TaskRow]):
    def __init__(self, rows: dict[str, TaskRow], customers: MemoryCustomers) -> None:
        super().__init__(rows)
        self.customers = customers

    def page_visible(self, query: TaskQuery, after: Position | None, size: int) -> list[TaskRow]:
        def keep(t: TaskRow) -> bool:
            customer = self.customers.rows[t.customer_id]
            return (
                policy.TASK.can_read(query.caller, states.task_state(t, customer))
                and (not query.customer_id or t.customer_id == query.customer_id)
                and (not query.assignee_id or t.assignee_id == query.assignee_id)
                and (not query.status or t.status == query.status)
                and (query.overdue_at is None or (t.status == "open" and t.due_at < query.overdue_at))
            )

        return _newest_first([t for t in self if keep(t)], lambda t: t.id, after and after.id, size)

    def newly_overdue(self, now: datetime, batch: int) -> list[TaskRow]:
        due = [t for t in self if t.status == "open" and t.overdue_notified_at is None and t.due_at < now]
        return sorted(due, key=lambda t: t.due_at)[:batch]


class MemoryAuditLog:
    def __init__(self, unit: FakeUnitOfWork) -> None:
        self.unit = unit

    def page(self, customer_id: str, after: Position | None, size: int) -> list[AuditEntry]:
        lines = [a for a in self.unit.store.audit_log + self.unit.audit_lines if a.customer_id == customer_id]
        return _newest_first(lines, lambda a: a.id, after and after.id, size)


class MemoryUsers(MemoryRepository[DirectoryUserRow]):
    def event_version(self, user_id: str) -> int | None:
        return None  # no event consumer in memory: the push always applies


class MemoryCustomersUnit(FakeUnitOfWork, CustomersUnit):
    def __init__(self, store: MemoryStore, caller: Caller, owners: RecentOwners) -> None:
        super().__init__(store, caller, service=c.SERVICE)
        self.customers = MemoryCustomers(self.table("customers"), self.table("directory_users"), owners)
        self.contacts = MemoryContacts(self.table("contacts"))
        self.follow_ups = MemoryFollowUps(self.table("follow_ups"))
        self.tasks = MemoryTasks(self.table("tasks"), self.customers)
        self.users = MemoryUsers(self.table("directory_users"))
        self.audit_log = MemoryAuditLog(self)


def memory_units(store: MemoryStore | None = None) -> Units[MemoryCustomersUnit]:
    """Units of work over one in-memory store (a fresh one unless given)."""
    shared = store if store is not None else MemoryStore()
    owners = RecentOwners()
    return Units(lambda caller: MemoryCustomersUnit(shared, caller, owners))
