"""The export search reindexes from (handler in ``service_desk.handlers.export``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from service_desk.handlers import export


class ExportEntrypoints:
    export = rpc(export.export)
