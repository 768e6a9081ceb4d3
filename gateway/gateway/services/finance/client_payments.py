# mypy: disable-error-code="empty-body"
"""RPC stubs of the finance service's payments area (finance.contracts.payments documents each)."""

from __future__ import annotations

from typing import Any

from finance.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class PaymentsRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def record_payment(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def allocate_payment(
        self, caller: Caller, payment_id: str, allocations: list[Record], expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def void_payment(
        self, caller: Caller, payment_id: str, reason: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def get_payment(self, caller: Caller, payment_id: str) -> Record: ...

    @rpc_method
    async def list_payments(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def refund(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def customer_credit(self, caller: Caller, customer_id: str) -> Record: ...

    @rpc_method
    async def open_receivables_for_payment(
        self, caller: Caller, customer_id: str, currency: str
    ) -> list[Record]: ...

    @rpc_method
    async def ledger_check(self, caller: Caller, customer_id: str | None) -> Record: ...
