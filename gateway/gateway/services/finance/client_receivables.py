# mypy: disable-error-code="empty-body"
"""RPC stubs of the finance service's receivables area (finance.contracts.receivables documents
each method)."""

from __future__ import annotations

from typing import Any

from finance.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class ReceivablesRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def get_receivable(self, caller: Caller, receivable_id: str) -> Record: ...

    @rpc_method
    async def list_receivables(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def receivables_summary(self, caller: Caller, customer_id: str | None) -> Record: ...
