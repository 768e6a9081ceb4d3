"""Use cases of the customer hub: one transaction each, audited, events through the outbox.

Framework-free apart from SQLAlchemy: the nameko service only parses the caller and calls these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from kernel.clock import utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.db import transaction
from kernel.envelope import Envelope, make_event
from kernel.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM, Caller
from kernel.ids import new_id
from kernel.logs import get_correlation_id
from kernel.outbox import Outbox
from kernel.text import company_key
from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from customers import contracts as c
from customers.domain import inputs, rules
from customers.domain.fields import require_mapping
from customers.storage import states
from customers.storage.models import (
    AuditRow,
    ContactRow,
    CustomerRow,
    DirectoryUserRow,
    FollowUpRow,
    TaskRow,
    outbox,
)

Child: TypeAlias = ContactRow | FollowUpRow | TaskRow
CHILD_KINDS: dict[type, str] = {ContactRow: "contact", FollowUpRow: "follow_up", TaskRow: "task"}
STATE_OF: dict[str, Callable[..., dict[str, Any]]] = {
    "contact": states.contact_state,
    "follow_up": states.follow_up_state,
    "task": states.task_state,
}


def ownership(customer: CustomerRow) -> rules.Ownership:
    return rules.Ownership(owner_id=customer.owner_id, team_id=customer.team_id)


class CustomerHub:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.outbox = Outbox(outbox, c.SERVICE)

    # ---------------------------------------------------------------- shared helpers
    def _emit(
        self, session: Session, caller: Caller, event_type: str, kind: str, data: dict[str, Any]
    ) -> Envelope:
        event = make_event(
            type=event_type,
            source=c.SERVICE,
            aggregate_type=kind,
            aggregate_id=data["id"],
            version=data["version"],
            actor_id=caller.user_id,
            customer_id=data["id"] if kind == "customer" else data.get("customer_id"),
            correlation_id=get_correlation_id(),
            data=data,
        )
        self.outbox.add_events(session, [event])
        return event

    def _audit(
        self,
        session: Session,
        caller: Caller,
        customer_id: str,
        kind: str,
        entity_id: str,
        action: str,
        changes: dict[str, list[Any]],
    ) -> None:
        session.add(
            AuditRow(
                id=new_id(),
                at=utcnow(),
                actor_id=caller.user_id,
                customer_id=customer_id,
                entity_type=kind,
                entity_id=entity_id,
                action=action,
                changes=changes,
            )
        )

    def _customer(self, session: Session, customer_id: Any, *, lock: bool = False) -> CustomerRow:
        if not isinstance(customer_id, str) or not customer_id:
            raise ValidationError.for_field("customer_id", "must be a non-empty string")
        stmt = select(CustomerRow).where(CustomerRow.id == customer_id)
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise NotFound(f"customer {customer_id} does not exist")
        return row

    def _child(self, session: Session, model: type[Child], entity_id: Any, *, lock: bool = False) -> Child:
        kind = CHILD_KINDS[model]
        if not isinstance(entity_id, str) or not entity_id:
            raise ValidationError.for_field(f"{kind}_id", "must be a non-empty string")
        stmt = select(model).where(model.id == entity_id)
        if lock:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).one_or_none()
        if row is None:
            raise NotFound(f"{kind} {entity_id} does not exist")
        return row  # type: ignore[return-value]

    def _user(self, session: Session, user_id: str, field: str) -> DirectoryUserRow:
        user = session.get(DirectoryUserRow, user_id)
        if user is None or not user.active:
            raise ValidationError.for_field(field, f"unknown or inactive user {user_id!r}")
        return user

    @staticmethod
    def _check_version(row: Any, expected_version: Any) -> None:
        if expected_version is None:
            return
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise ValidationError.for_field("expected_version", "must be an integer")
        if row.version != expected_version:
            raise Conflict(
                f"version mismatch: you have {expected_version}, the record is at {row.version}",
                [{"field": "version", "message": f"current version is {row.version}"}],
            )

    def _visible_customers(self, caller: Caller, stmt: Select[Any], *, basics: bool) -> Select[Any]:
        if caller.is_admin or (basics and (caller.has("finance") or caller.has("support"))):
            return stmt
        clauses = [CustomerRow.owner_id == caller.user_id]
        if caller.has("manager") and caller.team_id:
            clauses.append(CustomerRow.team_id == caller.team_id)
        return stmt.where(or_(*clauses))

    # ---------------------------------------------------------------- directory
    def upsert_user(self, caller: Caller, user: Any) -> dict[str, Any]:
        if not caller.is_admin:
            raise PermissionDenied("only the gateway (system) or an admin maintains the directory")
        payload = require_mapping(user, "user")
        errors = FieldErrors()
        for key in ("id", "username"):
            if not isinstance(payload.get(key), str) or not payload.get(key):
                errors.add(f"user.{key}", "must be a non-empty string")
        roles = payload.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            errors.add("user.roles", "must be a list of strings")
        errors.raise_if_any()
        with transaction(self.sessions) as session:
            row = session.get(DirectoryUserRow, payload["id"], with_for_update=True)
            if row is None:
                row = DirectoryUserRow(id=payload["id"])
                session.add(row)
            row.username = payload["username"]
            row.display_name = payload.get("display_name")
            row.team_id = payload.get("team_id")
            row.roles = roles
            row.active = bool(payload.get("active", True))
            row.updated_at = utcnow()
            return states.user_state(row)

    # ---------------------------------------------------------------- customers
    def create_customer(self, caller: Caller, data: Any, force: bool = False) -> dict[str, Any]:
        rules.require_can_create_customers(caller)
        payload = require_mapping(data)
        if "owner_id" not in payload or payload.get("owner_id") is None:
            payload = {**payload, "owner_id": caller.user_id}
        values = inputs.clean_customer(payload)
        if not isinstance(force, bool):
            raise ValidationError.for_field("force", "must be true or false")
        with transaction(self.sessions) as session:
            owner = self._user(session, values["owner_id"], "owner_id")
            rules.require_can_assign(caller, owner.team_id, owner.id)
            key = company_key(values["name"])
            self._guard_duplicates(session, values.get("tax_id"), key, force=force)
            now = utcnow()
            row = CustomerRow(
                id=new_id(),
                name_key=key,
                team_id=owner.team_id,
                created_by=caller.user_id,
                created_at=now,
                updated_at=now,
                version=1,
                **values,
            )
            session.add(row)
            session.flush()
            state = states.customer_state(row)
            self._audit(session, caller, row.id, "customer", row.id, "created", rules.diff({}, state))
            self._emit(session, caller, c.CUSTOMER_CREATED, "customer", state)
            return state

    def _guard_duplicates(
        self, session: Session, tax_id: str | None, key: str, *, force: bool, exclude: str | None = None
    ) -> None:
        if tax_id:
            stmt = select(CustomerRow.id, CustomerRow.name).where(CustomerRow.tax_id == tax_id)
            if exclude:
                stmt = stmt.where(CustomerRow.id != exclude)
            existing = session.execute(stmt).first()
            if existing is not None:
                raise Conflict(
                    f"tax id {tax_id} already belongs to {existing.name} ({existing.id})",
                    [{"field": "tax_id", "message": "already used", "existing_id": existing.id}],
                )
        if force or not key:
            return
        candidates_stmt = select(CustomerRow.id, CustomerRow.name, CustomerRow.owner_id).where(
            CustomerRow.name_key == key
        )
        if exclude:
            candidates_stmt = candidates_stmt.where(CustomerRow.id != exclude)
        candidates = session.execute(candidates_stmt.limit(10)).all()
        if candidates:
            names = ", ".join(f"{r.name} ({r.id})" for r in candidates)
            raise Conflict(
                f"possible duplicate of existing customers: {names}; pass force=true to create anyway",
                [
                    {
                        "field": "name",
                        "message": "possible duplicate",
                        "candidates": [
                            {"id": r.id, "name": r.name, "owner_id": r.owner_id} for r in candidates
                        ],
                    }
                ],
            )

    def get_customer(self, caller: Caller, customer_id: Any) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            row = self._customer(session, customer_id)
            rules.require_read(caller, ownership(row), subject=f"customer {row.id}", basics=True)
            return states.customer_state(row)

    def update_customer(
        self,
        caller: Caller,
        customer_id: Any,
        changes: Any,
        expected_version: Any = None,
        force: bool = False,
    ) -> dict[str, Any]:
        values = inputs.clean_customer(changes, partial=True)
        with transaction(self.sessions) as session:
            row = self._customer(session, customer_id, lock=True)
            rules.require_write(caller, ownership(row), subject=f"customer {row.id}")
            self._check_version(row, expected_version)
            before = states.customer_state(row)
            if "name" in values or "tax_id" in values:
                key = company_key(values.get("name") or row.name)
                renamed = "name" in values and key != row.name_key
                self._guard_duplicates(
                    session, values.get("tax_id"), key if renamed else "", force=force, exclude=row.id
                )
                row.name_key = key
            for key_, value in values.items():
                setattr(row, key_, value)
            if not rules.diff(before, {**before, **values}):
                return before  # nothing changed: no version bump, no event
            row.version += 1
            row.updated_at = utcnow()
            session.flush()
            state = states.customer_state(row)
            self._audit(session, caller, row.id, "customer", row.id, "updated", _changes(before, state))
            self._emit(session, caller, c.CUSTOMER_UPDATED, "customer", state)
            if before["name"] != state["name"]:
                self._reemit_children(session, caller, row)
            return state

    def delete_customer(
        self, caller: Caller, customer_id: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            row = self._customer(session, customer_id, lock=True)
            rules.require_write(caller, ownership(row), subject=f"customer {row.id}")
            self._check_version(row, expected_version)
            models: tuple[type[Child], ...] = (TaskRow, FollowUpRow, ContactRow)
            for model in models:
                children: list[Child] = list(
                    session.scalars(select(model).where(model.customer_id == row.id))
                )
                for child in children:
                    kind = CHILD_KINDS[model]
                    self._emit(
                        session,
                        caller,
                        f"{kind}.deleted",
                        kind,
                        states.tombstone(child.id, row.id, child.version + 1),
                    )
            gone = states.tombstone(row.id, row.id, row.version + 1)
            self._audit(session, caller, row.id, "customer", row.id, "deleted", {"name": [row.name, None]})
            self._emit(session, caller, c.CUSTOMER_DELETED, "customer", gone)
            session.delete(row)
            return gone

    def list_customers(
        self, caller: Caller, filters: Any = None, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        size = page_limit(limit)
        position = decode_cursor(cursor)
        filters = require_mapping(filters or {}, "filters")
        errors = FieldErrors()
        allowed = {"owner_id", "team_id", "status", "tag", "q"}
        for key, value in filters.items():
            if key not in allowed:
                errors.add(f"filters.{key}", "is not a known filter")
            elif value is not None and (not isinstance(value, str) or len(value) > 200):
                errors.add(f"filters.{key}", "must be a string of at most 200 characters")
        errors.raise_if_any()
        stmt = self._visible_customers(caller, select(CustomerRow), basics=True)
        if filters.get("owner_id"):
            stmt = stmt.where(CustomerRow.owner_id == filters["owner_id"])
        if filters.get("team_id"):
            stmt = stmt.where(CustomerRow.team_id == filters["team_id"])
        if filters.get("status"):
            stmt = stmt.where(CustomerRow.status == filters["status"])
        if filters.get("tag"):
            stmt = stmt.where(CustomerRow.tags.any(filters["tag"]))
        if filters.get("q"):
            pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(
                    CustomerRow.name.ilike(pattern),
                    CustomerRow.short_name.ilike(pattern),
                    CustomerRow.tax_id.ilike(pattern),
                )
            )
        if position is not None:
            stmt = stmt.where(CustomerRow.id < str(position.get("id", "")))
        with transaction(self.sessions) as session:
            rows = list(session.scalars(stmt.order_by(CustomerRow.id.desc()).limit(size + 1)))
            return _page([states.customer_state(r) for r in rows[:size]], rows, size)

    # ---------------------------------------------------------------- children (contacts, follow-ups, tasks)
    def create_child(
        self, caller: Caller, kind: str, customer_id: Any, values: dict[str, Any]
    ) -> dict[str, Any]:
        model = _model(kind)
        with transaction(self.sessions) as session:
            customer = self._customer(session, customer_id, lock=True)
            rules.require_write(caller, ownership(customer), subject=f"customer {customer.id}")
            self._validate_links(session, kind, customer, values)
            now = utcnow()
            row = model(
                id=new_id(), customer_id=customer.id, created_at=now, updated_at=now, version=1, **values
            )
            session.add(row)
            session.flush()
            state = STATE_OF[kind](row, customer)
            self._audit(session, caller, customer.id, kind, row.id, "created", rules.diff({}, _own(state)))
            self._emit(session, caller, f"{kind}.created", kind, state)
            return state

    def _validate_links(
        self, session: Session, kind: str, customer: CustomerRow, values: dict[str, Any]
    ) -> None:
        if kind == "follow_up" and values.get("contact_id"):
            contact = session.get(ContactRow, values["contact_id"])
            if contact is None or contact.customer_id != customer.id:
                raise ValidationError.for_field("contact_id", "is not a contact of this customer")
        if kind == "task" and values.get("assignee_id"):
            self._user(session, values["assignee_id"], "assignee_id")
        if kind == "contact" and values.get("is_primary"):
            # One primary contact per customer: the newest primary wins.
            session.execute(
                update(ContactRow)
                .where(and_(ContactRow.customer_id == customer.id, ContactRow.is_primary.is_(True)))
                .values(is_primary=False, version=ContactRow.version + 1, updated_at=utcnow())
            )

    def get_child(self, caller: Caller, kind: str, entity_id: Any) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            row = self._child(session, _model(kind), entity_id)
            customer = self._customer(session, row.customer_id)
            rules.require_read(
                caller, ownership(customer), subject=f"{kind} {row.id}", basics=(kind == "contact")
            )
            return STATE_OF[kind](row, customer)

    def update_child(
        self, caller: Caller, kind: str, entity_id: Any, values: dict[str, Any], expected_version: Any
    ) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            row = self._child(session, _model(kind), entity_id, lock=True)
            customer = self._customer(session, row.customer_id, lock=True)
            rules.require_write(caller, ownership(customer), subject=f"{kind} {row.id}")
            self._check_version(row, expected_version)
            self._validate_links(session, kind, customer, values)
            session.refresh(row)
            before = STATE_OF[kind](row, customer)
            for key, value in values.items():
                setattr(row, key, value)
            if isinstance(row, TaskRow):
                self._task_transitions(row, values)
            row.version += 1
            row.updated_at = utcnow()
            session.flush()
            state = STATE_OF[kind](row, customer)
            self._audit(session, caller, customer.id, kind, row.id, "updated", _changes(before, state))
            self._emit(session, caller, f"{kind}.updated", kind, state)
            return state

    @staticmethod
    def _task_transitions(row: TaskRow, values: dict[str, Any]) -> None:
        if "status" in values:
            row.completed_at = utcnow() if values["status"] == "done" else None
        if "due_at" in values:
            row.overdue_notified_at = None  # a new due date earns a new overdue reminder

    def delete_child(
        self, caller: Caller, kind: str, entity_id: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        with transaction(self.sessions) as session:
            row = self._child(session, _model(kind), entity_id, lock=True)
            customer = self._customer(session, row.customer_id, lock=True)
            rules.require_write(caller, ownership(customer), subject=f"{kind} {row.id}")
            self._check_version(row, expected_version)
            gone = states.tombstone(row.id, customer.id, row.version + 1)
            self._audit(session, caller, customer.id, kind, row.id, "deleted", {})
            self._emit(session, caller, f"{kind}.deleted", kind, gone)
            session.delete(row)
            return gone

    def list_children(
        self, caller: Caller, kind: str, customer_id: Any, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        size = page_limit(limit)
        position = decode_cursor(cursor)
        model = _model(kind)
        with transaction(self.sessions) as session:
            customer = self._customer(session, customer_id)
            rules.require_read(
                caller, ownership(customer), subject=f"customer {customer.id}", basics=(kind == "contact")
            )
            stmt = select(model).where(model.customer_id == customer.id)
            if kind == "follow_up":
                # Timeline: newest first by when it happened.
                if position is not None:
                    stmt = stmt.where(
                        or_(
                            FollowUpRow.occurred_at < position["t"],
                            and_(FollowUpRow.occurred_at == position["t"], FollowUpRow.id < position["id"]),
                        )
                    )
                stmt = stmt.order_by(FollowUpRow.occurred_at.desc(), FollowUpRow.id.desc())
            else:
                if position is not None:
                    stmt = stmt.where(model.id < str(position.get("id", "")))
                stmt = stmt.order_by(model.id.desc())
            rows = list(session.scalars(stmt.limit(size + 1)))
            items = [STATE_OF[kind](r, customer) for r in rows[:size]]
            if kind == "follow_up" and len(rows) > size:
                last = items[-1]
                return {
                    "items": items,
                    "next_cursor": encode_cursor({"t": last["occurred_at"], "id": last["id"]}),
                }
            return _page(items, rows, size)

    def create_contact(self, caller: Caller, customer_id: Any, data: Any) -> dict[str, Any]:
        return self.create_child(caller, "contact", customer_id, inputs.clean_contact(data))

    def update_contact(
        self, caller: Caller, contact_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.update_child(
            caller, "contact", contact_id, inputs.clean_contact(changes, partial=True), expected_version
        )

    def create_follow_up(self, caller: Caller, customer_id: Any, data: Any) -> dict[str, Any]:
        payload = require_mapping(data)
        if payload.get("occurred_at") is None:
            payload = {**payload, "occurred_at": utcnow()}
        values = inputs.clean_follow_up(payload)
        values["author_id"] = caller.user_id
        return self.create_child(caller, "follow_up", customer_id, values)

    def update_follow_up(
        self, caller: Caller, follow_up_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.update_child(
            caller, "follow_up", follow_up_id, inputs.clean_follow_up(changes, partial=True), expected_version
        )

    def create_task(self, caller: Caller, data: Any) -> dict[str, Any]:
        payload = require_mapping(data)
        if payload.get("assignee_id") is None:
            payload = {**payload, "assignee_id": caller.user_id}
        values = inputs.clean_task(payload)
        customer_id = values.pop("customer_id")
        return self.create_child(caller, "task", customer_id, values)

    def update_task(
        self, caller: Caller, task_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.update_child(
            caller, "task", task_id, inputs.clean_task(changes, partial=True), expected_version
        )

    def list_tasks(
        self, caller: Caller, filters: Any = None, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        size = page_limit(limit)
        position = decode_cursor(cursor)
        filters = require_mapping(filters or {}, "filters")
        errors = FieldErrors()
        for key in filters:
            if key not in {"customer_id", "assignee_id", "status", "overdue"}:
                errors.add(f"filters.{key}", "is not a known filter")
        if filters.get("status") is not None and filters["status"] not in c.TASK_STATUSES:
            errors.add("filters.status", f"must be one of {', '.join(c.TASK_STATUSES)}")
        if filters.get("overdue") is not None and not isinstance(filters["overdue"], bool):
            errors.add("filters.overdue", "must be true or false")
        errors.raise_if_any()
        stmt = select(TaskRow, CustomerRow).join(CustomerRow, CustomerRow.id == TaskRow.customer_id)
        if not caller.is_admin:
            visible = [CustomerRow.owner_id == caller.user_id, TaskRow.assignee_id == caller.user_id]
            if caller.has("manager") and caller.team_id:
                visible.append(CustomerRow.team_id == caller.team_id)
            stmt = stmt.where(or_(*visible))
        if filters.get("customer_id"):
            stmt = stmt.where(TaskRow.customer_id == filters["customer_id"])
        if filters.get("assignee_id"):
            stmt = stmt.where(TaskRow.assignee_id == filters["assignee_id"])
        if filters.get("status"):
            stmt = stmt.where(TaskRow.status == filters["status"])
        if filters.get("overdue") is True:
            stmt = stmt.where(and_(TaskRow.status == "open", TaskRow.due_at < utcnow()))
        if position is not None:
            stmt = stmt.where(TaskRow.id < str(position.get("id", "")))
        with transaction(self.sessions) as session:
            rows = list(session.execute(stmt.order_by(TaskRow.id.desc()).limit(size + 1)))
            items = [states.task_state(task, customer) for task, customer in rows[:size]]
            return _page(items, rows, size)

    # ---------------------------------------------------------------- ownership transfer
    def transfer_customers(
        self,
        caller: Caller,
        from_user_id: Any,
        to_user_id: Any,
        customer_ids: Any = None,
        reason: Any = None,
    ) -> dict[str, Any]:
        errors = FieldErrors()
        for field, value in (("from_user_id", from_user_id), ("to_user_id", to_user_id)):
            if not isinstance(value, str) or not value:
                errors.add(field, "must be a non-empty string")
        if customer_ids is not None and (
            not isinstance(customer_ids, list) or not all(isinstance(i, str) for i in customer_ids)
        ):
            errors.add("customer_ids", "must be a list of customer ids")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            errors.add("reason", "must be a string of at most 500 characters")
        errors.raise_if_any()
        if from_user_id == to_user_id:
            raise ValidationError.for_field("to_user_id", "must differ from from_user_id")
        with transaction(self.sessions) as session:
            target = self._user(session, to_user_id, "to_user_id")
            stmt = select(CustomerRow).where(CustomerRow.owner_id == from_user_id)
            if customer_ids is not None:
                stmt = stmt.where(CustomerRow.id.in_(customer_ids))
            rows = list(session.scalars(stmt.order_by(CustomerRow.id).with_for_update()))
            if customer_ids is not None and len(rows) != len(set(customer_ids)):
                missing = sorted(set(customer_ids) - {r.id for r in rows})
                raise ValidationError(
                    f"not owned by {from_user_id}: {', '.join(missing)}",
                    [
                        {
                            "field": "customer_ids",
                            "message": f"not owned by {from_user_id}: {', '.join(missing)}",
                        }
                    ],
                )
            # A bulk hand-over names the previous owner, so refusing outright hides nothing.
            if not all(rules.can_write(caller, ownership(row)) for row in rows):
                raise PermissionDenied("you may only transfer customers you may change")
            if rows:
                rules.require_can_assign(caller, target.team_id, target.id)
            for row in rows:
                before = states.customer_state(row)
                row.owner_id = target.id
                row.team_id = target.team_id
                row.version += 1
                row.updated_at = utcnow()
                # Open work follows the customer: the new owner inherits the leaver's open tasks.
                session.execute(
                    update(TaskRow)
                    .where(
                        and_(
                            TaskRow.customer_id == row.id,
                            TaskRow.assignee_id == from_user_id,
                            TaskRow.status == "open",
                        )
                    )
                    .values(assignee_id=target.id)
                )
                session.flush()
                state = states.customer_state(row)
                changes = _changes(before, state)
                if reason:
                    changes["reason"] = [None, reason]
                self._audit(session, caller, row.id, "customer", row.id, "transferred", changes)
                self._emit(session, caller, c.CUSTOMER_TRANSFERRED, "customer", state)
                self._reemit_children(session, caller, row)
            return {
                "moved": len(rows),
                "customer_ids": [r.id for r in rows],
                "from_user_id": from_user_id,
                "to_user_id": target.id,
            }

    def _reemit_children(self, session: Session, caller: Caller, customer: CustomerRow) -> None:
        """Children carry the customer's name and ownership: publish their new state too."""
        for model in (ContactRow, FollowUpRow, TaskRow):
            kind = CHILD_KINDS[model]
            children: Sequence[Child] = list(
                session.scalars(select(model).where(model.customer_id == customer.id).with_for_update())
            )
            for child in children:
                child.version += 1
            session.flush()
            for child in children:
                self._emit(session, caller, f"{kind}.updated", kind, STATE_OF[kind](child, customer))

    # ---------------------------------------------------------------- audit, export
    def get_audit(
        self, caller: Caller, customer_id: Any, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        size = page_limit(limit)
        position = decode_cursor(cursor)
        with transaction(self.sessions) as session:
            customer = session.get(CustomerRow, customer_id) if isinstance(customer_id, str) else None
            if customer is not None:
                rules.require_read(caller, ownership(customer), subject=f"customer {customer.id}")
            elif not caller.is_admin:
                raise NotFound(f"customer {customer_id} does not exist")
            stmt = select(AuditRow).where(AuditRow.customer_id == customer_id)
            if position is not None:
                stmt = stmt.where(AuditRow.id < str(position.get("id", "")))
            rows = list(session.scalars(stmt.order_by(AuditRow.id.desc()).limit(size + 1)))
            items = [
                {
                    "id": r.id,
                    "at": r.at.isoformat(),
                    "actor_id": r.actor_id,
                    "customer_id": r.customer_id,
                    "entity_type": r.entity_type,
                    "entity_id": r.entity_id,
                    "action": r.action,
                    "changes": r.changes,
                }
                for r in rows[:size]
            ]
            return _page(items, rows, size)

    def export(self, caller: Caller, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
        if not caller.is_admin:
            raise PermissionDenied("export is for admins and the search service")
        if kind not in c.EXPORT_KINDS:
            raise ValidationError.for_field("kind", f"must be one of {', '.join(c.EXPORT_KINDS)}")
        size = page_limit(limit, default=500, maximum=2000)
        position = decode_cursor(cursor)
        after = str(position.get("id", "")) if position else ""
        with transaction(self.sessions) as session:
            if kind == "customer":
                rows = list(
                    session.scalars(
                        select(CustomerRow).where(CustomerRow.id > after).order_by(CustomerRow.id).limit(size)
                    )
                )
                datas = [states.customer_state(r) for r in rows]
            else:
                model = _model(kind)
                pairs = list(
                    session.execute(
                        select(model, CustomerRow)
                        .join(CustomerRow, CustomerRow.id == model.customer_id)
                        .where(model.id > after)
                        .order_by(model.id)
                        .limit(size)
                    )
                )
                datas = [STATE_OF[kind](child, customer) for child, customer in pairs]
        items = [
            {
                "type": f"{kind}.updated",
                "aggregate": {"type": kind, "id": d["id"], "version": d["version"]},
                "customer_id": d["id"] if kind == "customer" else d["customer_id"],
                "data": d,
            }
            for d in datas
        ]
        next_cursor = encode_cursor({"id": datas[-1]["id"]}) if len(datas) == size else None
        return {"items": items, "next_cursor": next_cursor}

    # ---------------------------------------------------------------- reminders
    def flag_overdue_tasks(self, batch: int = 500) -> int:
        """Mark newly overdue open tasks and emit ``task.overdue`` (safe with several instances)."""
        with transaction(self.sessions) as session:
            now = utcnow()
            tasks = list(
                session.scalars(
                    select(TaskRow)
                    .where(
                        and_(
                            TaskRow.status == "open",
                            TaskRow.overdue_notified_at.is_(None),
                            TaskRow.due_at < now,
                        )
                    )
                    .order_by(TaskRow.due_at)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for task in tasks:
                task.overdue_notified_at = now
                task.version += 1
            session.flush()
            for task in tasks:
                customer = session.get(CustomerRow, task.customer_id)
                assert customer is not None
                self._emit(session, SYSTEM, c.TASK_OVERDUE, "task", states.task_state(task, customer))
            return len(tasks)


def _model(kind: str) -> type[Child]:
    for model, name in CHILD_KINDS.items():
        if name == kind:
            return model  # type: ignore[no-any-return]
    raise ValidationError.for_field("kind", f"unknown kind {kind!r}")


def _own(state: dict[str, Any]) -> dict[str, Any]:
    """A child's own fields, without the customer context it carries."""
    return {k: v for k, v in state.items() if k not in {"customer_name", "owner_id", "team_id"}}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    ignored = {"version", "updated_at"}
    return {k: v for k, v in rules.diff(before, after).items() if k not in ignored}


def _page(items: list[dict[str, Any]], rows: Sequence[Any], size: int) -> dict[str, Any]:
    next_cursor = encode_cursor({"id": items[-1]["id"]}) if len(rows) > size and items else None
    return {"items": items, "next_cursor": next_cursor}
