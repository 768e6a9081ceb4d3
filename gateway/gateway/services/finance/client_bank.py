# mypy: disable-error-code="empty-body"
"""RPC stubs of the finance service's bank-statement import (finance.contracts.bank documents
each method)."""

from __future__ import annotations

from typing import Any

from finance.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method

# An import runs as long as its file needs (the service commits batch by batch, so a timeout
# here loses nothing: the same file again resumes or answers the finished report).
IMPORT_TIMEOUT_SECONDS = 120.0


class BankRpc(ServiceClient):
    service_name = SERVICE

    async def import_bank_statement(self, caller: Caller, filename: str, content_base64: str) -> Record:
        payload = {"caller": caller.to_payload(), "filename": filename, "content_base64": content_base64}
        result: Record = await self.rpc.call(
            self.service, "import_bank_statement", payload, timeout=IMPORT_TIMEOUT_SECONDS
        )
        return result

    @rpc_method
    async def get_bank_import(self, caller: Caller, import_id: str) -> Record: ...

    @rpc_method
    async def list_bank_imports(self, caller: Caller, cursor: str | None, limit: int) -> PageDict: ...

    @rpc_method
    async def list_bank_lines(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def resolve_bank_line(self, caller: Caller, line_id: str, data: Record) -> Record: ...

    @rpc_method
    async def ignore_bank_line(self, caller: Caller, line_id: str, note: str) -> Record: ...
