"""The export search reindexes from (handler in ``sales.handlers.export``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from sales.handlers import export


class ExportEntrypoints:
    export = rpc(export.export)
