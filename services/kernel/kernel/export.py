"""The paged export search reindexes from: every record of a kind, as its events carry it.

``export(caller, kind, cursor=None, limit=500)`` (admin and the search service only) returns
``{"items": [{"type", "aggregate": {"type", "id", "version"}, "customer_id", "data"}],
"next_cursor"}`` — the shape ``search.reindex.record_from_export`` reads. ``data`` is the state
the kind's events carry, built by the same function the area's use cases emit with, so a reindexed
document equals the one the events built.

A service makes one ``Exports`` for the kinds its contract exports; each area registers how its
kind is exported. Pages follow the *aggregate* id (the event's): for most kinds the record id,
for a quote the version row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import PermissionDenied, ValidationError

PAGE_DEFAULT = 500
PAGE_MAX = 2000


@dataclass(frozen=True)
class Exported:
    """One record's state as its events carry it, and the event's aggregate when that is not
    ``(state["id"], state["version"])`` (a quote version: the version row's id and revision)."""

    state: Mapping[str, Any]
    aggregate: tuple[str, int] | None = None

    @property
    def aggregate_id(self) -> str:
        return self.aggregate[0] if self.aggregate else str(self.state["id"])

    @property
    def aggregate_version(self) -> int:
        return self.aggregate[1] if self.aggregate else int(self.state["version"])


# (unit, after aggregate id, size) → up to ``size`` records whose aggregate id is above ``after``,
# in ascending aggregate id order
Exporter = Callable[[Any, str, int], Sequence[Exported]]


def rows(model: Any, states: Callable[[Any, Sequence[Any]], Sequence[Exported]]) -> Exporter:
    """The usual exporter: keyset pages of ``model`` rows by primary key ``id`` (the aggregate id),
    turned into states in one batch (``states`` may load what the rows need)."""

    def export_rows(unit: Any, after: str, size: int) -> Sequence[Exported]:
        query = select(model).where(model.id > after).order_by(model.id).limit(size)
        return states(unit, unit.session.scalars(query).all())

    return export_rows


@dataclass
class Exports:
    service: str
    kinds: Collection[str]  # the contract's EXPORT_KINDS
    exporters: dict[str, Exporter] = field(default_factory=dict)

    def register(self, kind: str, exporter: Exporter) -> Exporter:
        """An area's exporter for ``kind`` (one per kind)."""
        if kind not in self.kinds:
            raise ValueError(f"{self.service} does not export {kind!r} (contracts.EXPORT_KINDS)")
        if kind in self.exporters and self.exporters[kind] is not exporter:
            raise ValueError(f"an exporter for {kind!r} is already registered")
        self.exporters[kind] = exporter
        return exporter

    def export(self, unit: Any, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
        if not unit.caller.is_admin:
            raise PermissionDenied("export is for admins and the search service")
        if kind not in self.kinds:
            raise ValidationError.for_field("kind", f"must be one of {', '.join(self.kinds)}")
        size = page_limit(limit, default=PAGE_DEFAULT, maximum=PAGE_MAX)
        after = _after(cursor)
        exporter = self.exporters.get(kind)
        if exporter is None:
            # Never an empty page: a reindex would silently drop every record of the kind.
            raise NotImplementedError(f"{self.service}: no exporter registered for {kind!r}")
        records = list(exporter(unit, after, size))
        items = [
            {
                "type": f"{kind}.updated",
                "aggregate": {"type": kind, "id": r.aggregate_id, "version": r.aggregate_version},
                "customer_id": r.state.get("customer_id"),
                "data": dict(r.state),
            }
            for r in records
        ]
        next_cursor = encode_cursor({"id": records[-1].aggregate_id}) if len(records) == size else None
        return {"items": items, "next_cursor": next_cursor}


def _after(cursor: Any) -> str:
    position = decode_cursor(cursor)
    if position is None:
        return ""
    value = position["id"]
    if not isinstance(value, str):
        raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
    return value
