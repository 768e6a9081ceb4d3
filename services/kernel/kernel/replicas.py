"""What a service keeps of other services' state, from their events: the gateway's users
(identity ``user.upserted``) and the customers' names, owners and teams (``customers.events``;
an RPC read as the caller fills the gap before the first event arrives).

Every record on a customer carries its name (search shows it) and its owner and team (the read
policies' "shared" grant), so a service needs the same two replicas; this module is them, once:

    # storage/models.py
    customer_refs = customer_refs_table(Base.metadata, Column("value_tier", String(20)))
    directory_users = directory_users_table(Base.metadata)
    # handlers/replicas.py
    CUSTOMERS = CustomerReplica(customer_refs, copy=("value_tier",), folded_name=True)
    # service.py
    class FinanceService(replica_entrypoints(CUSTOMERS, directory_users, consumer), ...): ...

A unit of work using it has ``session``, ``caller`` and ``customers`` (a ``CustomersPort``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ARRAY, Boolean, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from kernel.clock import utcnow
from kernel.consumer import ConsumerTables
from kernel.envelope import Envelope
from kernel.errors import NotFound, ValidationError
from kernel.identity import Caller
from kernel.identity_events import IDENTITY_SOURCE, USER_UPSERTED, user_state_of
from kernel.text import fold, strip_company_suffix

CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.transferred", "customer.deleted")


class CustomersPort(Protocol):
    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        """The customer's state as ``caller`` may read it (NotFound / PermissionDenied raised)."""
        ...

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        """Any other customers RPC (create_task, list_customers, …)."""
        ...


class ReplicaUnit(Protocol):
    @property
    def session(self) -> Session: ...

    @property
    def caller(self) -> Caller: ...

    @property
    def customers(self) -> CustomersPort: ...


# -- tables -------------------------------------------------------------------------------------
def customer_refs_table(metadata: MetaData, *extra: Column[Any]) -> Table:
    """``customer_refs``: id, name, name_folded (matching by name), owner, team, deleted, version,
    plus the service's own ``extra`` columns (filled from the customer state of the same name)."""
    return Table(
        "customer_refs",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("name_folded", String(200), nullable=False, index=True),
        Column("owner_id", String(64), nullable=False),
        Column("team_id", String(64)),
        *extra,
        Column("deleted", Boolean, nullable=False, default=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def directory_users_table(metadata: MetaData) -> Table:
    """``directory_users``: the gateway's users (teams for notifications, names for reports)."""
    return Table(
        "directory_users",
        metadata,
        Column("id", String(64), primary_key=True),
        Column("username", String(64), nullable=False),
        Column("display_name", String(100)),
        Column("team_id", String(64), index=True),
        Column("roles", ARRAY(String(20)), nullable=False, default=list),
        Column("active", Boolean, nullable=False, default=True),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


@dataclass(frozen=True)
class CustomerRef:
    id: str
    name: str
    name_folded: str
    owner_id: str
    team_id: str | None
    deleted: bool
    version: int
    extra: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


def folded_company_name(name: str) -> str:
    """The form names are matched in (bank payer names, duplicate checks): width, case and
    company suffixes folded away, so "A科技有限公司" and "Ａ科技" meet."""
    return strip_company_suffix(fold(name)) or fold(name)


# -- the customer replica --------------------------------------------------------------------------
@dataclass
class CustomerReplica:
    table: Table
    copy: tuple[str, ...] = ()  # extra columns copied from the customer's state
    # called with (unit, ref) after a customer's name, owner or team changed: re-publish records
    republishers: list[Callable[[Any, CustomerRef], None]] = field(default_factory=list)

    def ref(self, unit: ReplicaUnit, customer_id: Any, *, field: str = "customer_id") -> CustomerRef:
        """The customer as this service knows it; read from the customers service (as the
        caller, so its read check applies) when no event has told us yet."""
        if not isinstance(customer_id, str) or not customer_id:
            raise ValidationError.for_field(field, "must be a non-empty string")
        # FOR SHARE until the caller's unit ends: a record made from this name commits before a
        # concurrent rename (``changed``, FOR UPDATE) runs its republishers, so they see the record;
        # or the rename commits first and this read waits for it and returns the new name.
        ref = self.held(unit.session, customer_id, share=True)
        if ref is None:
            ref = self.store(unit.session, unit.customers.get_customer(unit.caller, customer_id))
        if ref.deleted:
            raise NotFound(f"customer {customer_id} does not exist")
        return ref

    def held(
        self, session: Session, customer_id: str, *, lock: bool = False, share: bool = False
    ) -> CustomerRef | None:
        query = select(self.table).where(self.table.c.id == customer_id)
        if lock or share:
            query = query.with_for_update(read=not lock)
        row = session.execute(query).mappings().first()
        return None if row is None else self._ref(row)

    def names(self, session: Session, customer_ids: Collection[str]) -> dict[str, str]:
        """Customer id → name for a page of records (one query; unknown ids are left out)."""
        if not customer_ids:
            return {}
        rows = session.execute(
            select(self.table.c.id, self.table.c.name).where(self.table.c.id.in_(set(customer_ids)))
        )
        return {row.id: row.name for row in rows}

    def changed(self, unit: Any, event: Envelope) -> None:
        """``customer.*`` from customers.events (claimed and version-checked by the consumer)."""
        session: Session = unit.session
        if event.data.get("deleted"):
            if self.held(session, event.aggregate.id, lock=True) is not None:
                session.execute(
                    self.table.update()
                    .where(self.table.c.id == event.aggregate.id)
                    .values(deleted=True, version=event.aggregate.version, updated_at=utcnow())
                )
            return
        before, after = self._store(
            session, {**event.data, "id": event.aggregate.id, "version": event.aggregate.version}
        )
        if before is not None and (before.name, before.owner_id, before.team_id) != (
            after.name,
            after.owner_id,
            after.team_id,
        ):
            for republish in self.republishers:
                republish(unit, after)

    def store(self, session: Session, state: Mapping[str, Any]) -> CustomerRef:
        return self._store(session, state)[1]

    def _store(self, session: Session, state: Mapping[str, Any]) -> tuple[CustomerRef | None, CustomerRef]:
        """(the row as it was under our lock, None if there was none; the row now)."""
        version = int(state.get("version") or 0)
        held = self.held(session, state["id"], lock=True)
        if held is not None and version and held.version > version:
            return held, held  # an RPC read older than what events already told us
        values = {
            "name": state["name"],
            "name_folded": folded_company_name(state["name"]),
            "owner_id": state["owner_id"],
            "team_id": state.get("team_id"),
            "deleted": False,
            "version": max(version, held.version if held else 0),
            "updated_at": utcnow(),
            **{column: state.get(column) for column in self.copy},
        }
        if held is None:
            # Two fills of one customer at once (an RPC read-through and its event's consumer, or
            # two service copies) both found no row to lock: the second waits for the first's
            # insert, then stores over the row it can now lock, the newer version winning.
            inserted = session.execute(
                pg_insert(self.table)
                .values(id=state["id"], **values)
                .on_conflict_do_nothing(index_elements=[self.table.c.id])
            )
            if not inserted.rowcount:  # type: ignore[attr-defined]
                # The other fill's row is what this change is compared with: a record it was made
                # for (with its name) must be re-published if this state renames the customer.
                return self._store(session, state)
        else:
            session.execute(self.table.update().where(self.table.c.id == state["id"]).values(**values))
        return held, CustomerRef(
            id=state["id"],
            name=values["name"],
            name_folded=values["name_folded"],
            owner_id=values["owner_id"],
            team_id=values["team_id"],
            deleted=False,
            version=values["version"],
            extra={column: values[column] for column in self.copy},
        )

    def _ref(self, row: Any) -> CustomerRef:
        return CustomerRef(
            id=row["id"],
            name=row["name"],
            name_folded=row["name_folded"],
            owner_id=row["owner_id"],
            team_id=row["team_id"],
            deleted=row["deleted"],
            version=row["version"],
            extra={column: row[column] for column in self.copy},
        )


# -- the user directory ----------------------------------------------------------------------------
def user_upserted(session: Session, table: Table, event: Envelope) -> None:
    user = user_state_of(event)
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "team_id": user.team_id,
        "roles": list(user.roles),
        "active": user.active,
        "updated_at": utcnow(),
    }
    exists = session.execute(select(table.c.id).where(table.c.id == user.id).with_for_update()).first()
    if exists is None:
        session.execute(table.insert().values(id=user.id, **values))
    else:
        session.execute(table.update().where(table.c.id == user.id).values(**values))


def team_managers(session: Session, table: Table, team_id: str | None) -> list[str]:
    """Active managers of a team (who hears of an escalation after the owner)."""
    if team_id is None:
        return []
    rows = session.execute(
        select(table.c.id).where(table.c.team_id == team_id, table.c.active, table.c.roles.any("manager"))
    )
    return sorted(row.id for row in rows)


# -- entrypoints -------------------------------------------------------------------------------------
def replica_entrypoints(customers: CustomerReplica, users: Table, consumer: ConsumerTables) -> type:
    """A mixin of the nameko event handlers keeping both replicas (join it into the service)."""
    from kernel.event_handlers import idempotent_event_handler

    def on_user(self: Any, unit: Any, event: Envelope) -> None:
        user_upserted(unit.session, users, event)

    def on_customer(self: Any, unit: Any, event: Envelope) -> None:
        customers.changed(unit, event)

    handlers: dict[str, Any] = {
        "on_user_upserted": idempotent_event_handler(IDENTITY_SOURCE, USER_UPSERTED, tables=consumer)(on_user)
    }
    for event_type in CUSTOMER_EVENTS:
        name = "on_" + event_type.replace(".", "_")
        handlers[name] = idempotent_event_handler("customers", event_type, tables=consumer)(
            _named(on_customer, name)
        )
    return type("ReplicaEntrypoints", (), handlers)


def _named(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    def handler(self: Any, unit: Any, event: Envelope) -> None:
        function(self, unit, event)

    handler.__name__ = handler.__qualname__ = name
    return handler
