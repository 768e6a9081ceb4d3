# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's quotes area (sales.contracts.quotes documents each method)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from sales.contracts import SERVICE

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class QuotesRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def create_quote(self, caller: Caller, opportunity_id: str, data: Record) -> Record: ...

    @rpc_method
    async def add_quote_version(self, caller: Caller, quote_id: str, data: Record) -> Record: ...

    @rpc_method
    async def update_quote_version(self, caller: Caller, quote_id: str, n: int, data: Record) -> Record: ...

    @rpc_method
    async def get_quote(self, caller: Caller, quote_id: str) -> Record: ...

    @rpc_method
    async def get_quote_version(self, caller: Caller, quote_id: str, n: int) -> Record: ...

    @rpc_method
    async def submit_quote_version(self, caller: Caller, quote_id: str, n: int) -> Record: ...

    @rpc_method
    async def approve_quote_version(
        self, caller: Caller, quote_id: str, n: int, comment: str | None = None
    ) -> Record: ...

    @rpc_method
    async def reject_quote_version(
        self, caller: Caller, quote_id: str, n: int, comment: str | None = None
    ) -> Record: ...

    @rpc_method
    async def mark_quote_version_final(self, caller: Caller, quote_id: str, n: int) -> Record: ...

    @rpc_method
    async def mark_quote_version_sent(self, caller: Caller, quote_id: str, n: int) -> Record: ...

    @rpc_method
    async def get_quote_pdf(self, caller: Caller, quote_id: str, n: int) -> Record: ...

    @rpc_method
    async def list_quotes(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def list_pending_approvals(self, caller: Caller, cursor: str | None, limit: int) -> PageDict: ...

    @rpc_method
    async def list_my_reminders(self, caller: Caller, cursor: str | None, limit: int) -> PageDict: ...
