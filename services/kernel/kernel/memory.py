"""In-memory stand-ins for a unit of work and its repositories, for unit tests without PostgreSQL.

``MemoryStore`` is the committed state (rows by table, published events, audit lines).
A ``FakeUnitOfWork`` works on a copy of the rows and publishes it on commit, so a use case that
raises half-way leaves the store as it was — as the real transaction would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import inspect as sa_inspect

from kernel.audit import AuditEntry
from kernel.envelope import Envelope
from kernel.identity import Caller
from kernel.uow import UnitOfWork

R = TypeVar("R")

Tables = dict[str, dict[str, Any]]  # table name -> id -> row


def clone_row(row: R) -> R:
    """A detached copy of a mapped row (its column attributes only, lists copied)."""
    mapper = sa_inspect(type(row))
    values = {attr.key: copy.copy(getattr(row, attr.key)) for attr in mapper.column_attrs}
    return type(row)(**values)  # type: ignore[no-any-return]


@dataclass
class MemoryStore:
    tables: Tables = field(default_factory=dict)
    events: list[Envelope] = field(default_factory=list)
    audit_log: list[AuditEntry] = field(default_factory=list)
    commits: int = 0

    def snapshot(self) -> Tables:
        return {
            name: {key: clone_row(row) for key, row in rows.items()} for name, rows in self.tables.items()
        }

    def event_types(self) -> list[str]:
        return [e.type for e in self.events]


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: MemoryStore, caller: Caller, *, service: str) -> None:
        super().__init__(caller, service)
        self.store = store
        self.tables = store.snapshot()
        self.events: list[Envelope] = []
        self.audit_lines: list[AuditEntry] = []

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})

    def _store_event(self, event: Envelope) -> None:
        self.events.append(event)

    def _store_audit(self, entry: AuditEntry) -> None:
        self.audit_lines.append(entry)

    def flush(self) -> None:
        pass

    def commit(self) -> None:
        self.store.tables = self.tables
        self.store.events.extend(self.events)
        self.store.audit_log.extend(self.audit_lines)
        self.store.commits += 1

    def rollback(self) -> None:
        self.tables = {}
        self.events.clear()
        self.audit_lines.clear()


class MemoryRepository(Generic[R]):
    """Rows of one table, by id; locks are no-ops (one unit at a time in a unit test)."""

    def __init__(self, rows: dict[str, R]) -> None:
        self.rows = rows

    def get(self, entity_id: str, *, lock: bool = False) -> R | None:
        return self.rows.get(entity_id)

    def get_for_upsert(self, entity_id: str) -> R | None:
        return self.rows.get(entity_id)

    def add(self, row: R) -> None:
        self.rows[row.id] = row  # type: ignore[attr-defined]

    def delete(self, row: R) -> None:
        self.rows.pop(row.id)  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[R]:
        return iter(sorted(self.rows.values(), key=lambda r: r.id))  # type: ignore[attr-defined]
