"""What the use cases need from storage: the customers unit of work and its repositories.

Implemented on PostgreSQL (``storage.repositories``) and in memory (``storage.memory``, for unit
tests). Locks follow one order everywhere: the customer first, then its children by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from kernel.audit import AuditEntry
from kernel.identity import Caller
from kernel.uow import UnitOfWork

from customers.storage.models import ContactRow, CustomerRow, DirectoryUserRow, FollowUpRow, TaskRow

Child = ContactRow | FollowUpRow | TaskRow
C = TypeVar("C", ContactRow, FollowUpRow, TaskRow)


@dataclass(frozen=True, slots=True)
class Owner:
    """What a create needs of its owner in the directory."""

    id: str
    team_id: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class Namesake:
    """What the duplicate guard shows of a customer of the same name (and who may see it)."""

    id: str
    name: str
    owner_id: str
    team_id: str | None


@dataclass(frozen=True)
class CustomerQuery:
    """``list_customers``: what the caller may see, narrowed by the filters, newest first."""

    caller: Caller
    owner_id: str | None = None
    team_id: str | None = None
    status: str | None = None
    tag: str | None = None
    q: str | None = None  # name, short name or tax id contains


@dataclass(frozen=True)
class TaskQuery:
    caller: Caller
    customer_id: str | None = None
    assignee_id: str | None = None
    status: str | None = None
    overdue_at: datetime | None = None  # open and due before this moment


@dataclass(frozen=True)
class Position:
    """Keyset position of a page: the last item's id (and, on the timeline, its ``occurred_at``)."""

    id: str
    at: datetime | None = None


class Customers(Protocol):
    def get(self, entity_id: str, *, lock: bool = False) -> CustomerRow | None: ...
    def get_many(self, ids: Sequence[str]) -> dict[str, CustomerRow]: ...
    def add(self, row: CustomerRow) -> None: ...
    def insert(self, row: CustomerRow) -> None:
        """A new customer the unit will neither read back nor change (written with its events)."""
        ...

    def delete(self, row: CustomerRow) -> None: ...
    def with_tax_id(self, tax_id: str, *, exclude: str | None) -> CustomerRow | None: ...
    def with_name_key(self, key: str, *, exclude: str | None, limit: int) -> list[CustomerRow]: ...
    def owner_and_namesakes(
        self, owner_id: str, key: str, *, limit: int
    ) -> tuple[Owner | None, list[Namesake]]:
        """The directory user ``owner_id`` and ``with_name_key(key)``, read together (a create
        needs both: one round trip instead of two), as plain values: loading them as ORM rows
        cost more CPU than the query itself."""
        ...

    def remembered_owner(self, owner_id: str) -> Owner | None:
        """``owner_id`` as this process last read it (``owner_and_namesakes``), or None. A hint for
        ``insert_if_unchanged``, never an answer on its own."""
        ...

    def insert_if_unchanged(self, row: CustomerRow, owner: Owner) -> None:
        """``insert``, guarded: written only if, when the unit writes, ``owner`` is still active in
        ``owner.team_id`` and no customer has ``row``'s name key or tax id. Otherwise nothing is
        written and the call runs again with ``unit.optimistic`` off (``kernel.uow.GuardFailed``):
        what a create would read first becomes part of its one write."""
        ...

    def page(self, query: CustomerQuery, after: Position | None, size: int) -> list[CustomerRow]: ...
    def owned_by(self, owner_id: str, ids: Sequence[str] | None) -> list[CustomerRow]:
        """Locked, by id."""
        ...

    def owned_outside_team(self, owner_id: str, team_id: str | None) -> list[CustomerRow]:
        """``owner_id``'s customers whose ``team_id`` is not ``team_id``; locked, by id."""
        ...

    def export(self, after: str, size: int) -> list[CustomerRow]: ...


class Children(Protocol[C]):
    def get(self, entity_id: str, *, lock: bool = False) -> C | None: ...
    def add(self, row: C) -> None: ...
    def delete(self, row: C) -> None: ...
    def of_customer(self, customer_id: str, *, lock: bool = False) -> list[C]:
        """By id (the lock order)."""
        ...

    def page(self, customer_id: str, after: Position | None, size: int) -> list[C]: ...
    def export(self, after: str, size: int) -> list[C]: ...


class Contacts(Children[ContactRow], Protocol):
    def primaries(self, customer_id: str) -> list[ContactRow]:
        """Locked, by id."""
        ...


class FollowUps(Children[FollowUpRow], Protocol):
    def citing(self, contact_id: str) -> list[FollowUpRow]:
        """Locked, by id."""
        ...


class Tasks(Children[TaskRow], Protocol):
    def page_visible(self, query: TaskQuery, after: Position | None, size: int) -> list[TaskRow]: ...
    def newly_overdue(self, now: datetime, batch: int) -> list[TaskRow]:
        """Open, due before ``now``, not yet flagged; locked, skipping rows another worker holds."""
        ...


class Users(Protocol):
    def get(self, entity_id: str, *, lock: bool = False) -> DirectoryUserRow | None: ...
    def get_for_upsert(self, entity_id: str) -> DirectoryUserRow | None:
        """Locked, and the id held even while no row has it (concurrent creators wait)."""
        ...

    def add(self, row: DirectoryUserRow) -> None: ...
    def event_version(self, user_id: str) -> int | None:
        """The newest ``user.upserted`` version applied to this user (None: no event yet)."""
        ...


class AuditLog(Protocol):
    def page(self, customer_id: str, after: Position | None, size: int) -> list[AuditEntry]: ...


class CustomersUnit(UnitOfWork):
    """The unit of work the use cases run in: the kernel's (caller, ``record``, ``flush``) plus the
    customers repositories, which the storage's units (SQL, memory) set."""

    customers: Customers
    contacts: Contacts
    follow_ups: FollowUps
    tasks: Tasks
    users: Users
    audit_log: AuditLog
