"""The audit trail every service keeps: who changed what, when (DESIGN.md §5). Pure Python.

The table is the kernel's, like the outbox: a service adds it to its metadata with
``kernel.uow.audit_table`` and writes to it only through a unit of work's ``record``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Changes = dict[str, list[Any]]  # field -> [old, new]

# Bookkeeping every record carries; a change of these alone is not worth an audit line.
BOOKKEEPING = frozenset({"version", "updated_at"})


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime
    actor_id: str
    customer_id: str
    entity_type: str
    entity_id: str
    action: str
    changes: Changes

    def to_row(self) -> dict[str, Any]:
        # Shallow on purpose: ``dataclasses.asdict`` deep-copies ``changes`` value by value, which
        # was a tenth of a create's CPU in process, and nothing writes to a row after this.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def to_payload(self) -> dict[str, Any]:
        """The wire shape (``at`` as ISO-8601), as RPC readers of the trail return it."""
        return {**self.to_row(), "at": self.at.isoformat()}

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def diff(before: Mapping[str, Any], after: Mapping[str, Any], *, ignore: Iterable[str] = ()) -> Changes:
    """Field-level change set for the audit trail: field -> [old, new]."""
    skip = set(ignore)
    changes: Changes = {}
    for key in sorted(set(before) | set(after)):
        if key in skip:
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes
