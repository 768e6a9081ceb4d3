"""The export search reindexes from (handler in ``finance.handlers.export``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from finance.handlers import export


class ExportEntrypoints:
    export = rpc(export.export)
