"""The neutral input of document building: one aggregate state, from an event or from an export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Record:
    kind: str
    id: str
    version: int
    customer_id: str | None
    data: dict[str, Any]
    # When the state was produced (envelope.occurred_at); None for export snapshots.
    occurred_at: datetime | None = None

    @property
    def is_tombstone(self) -> bool:
        return bool(self.data.get("deleted"))


def doc_id(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"
