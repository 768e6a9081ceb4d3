"""Published contract of the ``finance`` service: RPC payloads, event schemas, search kinds.

Imports neither nameko nor SQLAlchemy: the gateway, the search indexer and contract tests depend
on this package alone. One module per area; this module gathers what the platform reads:
``SERVICE``, ``EVENT_SCHEMAS``, ``EVENT_TYPES``, ``SEARCH_KINDS``, ``EXPORT_KINDS``.

RPC (nameko service ``finance``; every method takes ``caller`` (the signed identity) first and
raises ValidationError / NotFound / PermissionDenied / Conflict) is listed in each area module.
"""

from __future__ import annotations

from types import ModuleType

from kernel.kinds import SearchKind
from pydantic import BaseModel

from finance.contracts import bank, collections, invoices, payments, receivables, write_offs
from finance.contracts.common import EVENTS_EXCHANGE, SERVICE

_AREAS: tuple[ModuleType, ...] = (receivables, payments, bank, invoices, write_offs, collections)

EVENT_SCHEMAS: dict[str, type[BaseModel]] = {k: v for area in _AREAS for k, v in area.EVENT_SCHEMAS.items()}
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_SCHEMAS)
SEARCH_KINDS: tuple[SearchKind, ...] = tuple(kind for area in _AREAS for kind in area.SEARCH_KINDS)
EXPORT_KINDS: tuple[str, ...] = tuple(kind.kind for kind in SEARCH_KINDS)

__all__ = [
    "EVENTS_EXCHANGE",
    "EVENT_SCHEMAS",
    "EVENT_TYPES",
    "EXPORT_KINDS",
    "SEARCH_KINDS",
    "SERVICE",
    "invoices",
    "receivables",
    "write_offs",
]
