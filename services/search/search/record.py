"""The neutral input of document building: one aggregate state, from an event or from an export."""

from __future__ import annotations

import hashlib
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


def doc_seq(doc_id: str) -> int:
    """The document's sort tiebreaker (query.SORT): its id as a signed 64-bit hash. Two of a
    million documents share one with odds of about 3 in 10^8, and then only a tie on score and
    ``updated_at`` as well would let a cursor's next page repeat or skip one of them."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big", signed=True)
