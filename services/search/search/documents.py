"""Aggregate state (from an event or an export) → the Elasticsearch document that represents it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from search import display
from search.kinds import REGISTRY
from search.kinds.base import tombstone_document
from search.record import Record, doc_id, doc_seq


class UnknownKind(ValueError):
    pass


@dataclass(frozen=True)
class IndexOp:
    """One external-versioned write: ES keeps it only if ``version`` is above what it holds."""

    doc_id: str
    version: int
    source: dict[str, Any]
    occurred_at: datetime | None = None


def to_index_op(record: Record) -> IndexOp:
    spec = REGISTRY.get(record.kind)
    if spec is None:
        raise UnknownKind(f"unknown kind {record.kind!r}")
    if record.is_tombstone:
        source = tombstone_document(record)  # never a hit: nothing to show
    else:
        source = spec.build(record)
        source[display.FIELD] = display.encode(source)
    op_id = doc_id(record.kind, record.id)
    source["doc_seq"] = doc_seq(op_id)
    return IndexOp(op_id, record.version, source, record.occurred_at)
