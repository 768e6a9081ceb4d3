"""The paged export search reindexes from (``kernel.export``), for the finance kinds.

``export(caller, kind, cursor=None, limit=500)``: admins and the search service only. Each
area registers its kind's exporter against ``EXPORTS`` in ``finance.handlers.exporters``.
"""

from __future__ import annotations

from typing import Any

from kernel.export import Exports

from finance import contracts

EXPORTS: Exports = Exports(contracts.SERVICE, contracts.EXPORT_KINDS)


def export(unit: Any, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    return EXPORTS.export(unit, kind, cursor, limit)


# Last: every area's exporter registers itself against EXPORTS, so whoever imports this module
# can export every kind.
from finance.handlers import exporters  # noqa: E402, F401
