"""The paged export search reindexes from (``kernel.export``), for the sales kinds.

``export(caller, kind, cursor=None, limit=500)``: admins and the search service only. Each
area's exporter is registered in ``sales.handlers.exporters`` against ``EXPORTS``.
"""

from __future__ import annotations

from typing import Any

from kernel.export import Exported, Exports, rows

from sales import contracts
from sales.storage.unit import SalesUnit

EXPORTS: Exports = Exports(contracts.SERVICE, contracts.EXPORT_KINDS)


def export(unit: SalesUnit, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    return EXPORTS.export(unit, kind, cursor, limit)


__all__ = ["EXPORTS", "Exported", "export", "rows"]

# Last: every area's exporter registers itself against the definitions above, so whoever imports
# this module can export every kind.
from sales.handlers import exporters  # noqa: E402, F401
