# mypy: disable-error-code="empty-body"
"""RPC stubs of the finance service's invoices and write-offs areas (finance.contracts.invoices
and finance.contracts.write_offs document each method)."""

from __future__ import annotations

from typing import Any

from finance.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class InvoicesRpc(ServiceClient):
    service_name = SERVICE

    # -- invoices ----------------------------------------------------------------------------
    @rpc_method
    async def create_invoice(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def update_invoice(
        self, caller: Caller, invoice_id: str, changes: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def issue_invoice(
        self, caller: Caller, invoice_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def mark_invoice_paid(
        self, caller: Caller, invoice_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def void_invoice(
        self, caller: Caller, invoice_id: str, reason: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def get_invoice(self, caller: Caller, invoice_id: str) -> Record: ...

    @rpc_method
    async def list_invoices(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    # -- write-offs --------------------------------------------------------------------------
    @rpc_method
    async def request_write_off(self, caller: Caller, receivable_id: str, data: Record) -> Record: ...

    @rpc_method
    async def approve_write_off(self, caller: Caller, write_off_id: str, note: str | None) -> Record: ...

    @rpc_method
    async def reject_write_off(self, caller: Caller, write_off_id: str, note: str | None) -> Record: ...

    @rpc_method
    async def get_write_off(self, caller: Caller, write_off_id: str) -> Record: ...

    @rpc_method
    async def list_write_offs(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...
