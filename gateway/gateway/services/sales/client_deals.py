# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's deals area (sales.contracts.deals documents each method)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from sales.contracts import SERVICE

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class DealsRpc(ServiceClient):
    service_name = SERVICE

    # -- contracts ---------------------------------------------------------------------------
    @rpc_method
    async def create_contract(
        self, caller: Caller, quote_id: str, version: int, data: Record | None = None
    ) -> Record: ...

    @rpc_method
    async def approve_contract(
        self, caller: Caller, contract_id: str, comment: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def reject_contract(
        self, caller: Caller, contract_id: str, comment: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def sign_contract(
        self, caller: Caller, contract_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def archive_contract(
        self, caller: Caller, contract_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def cancel_contract(
        self, caller: Caller, contract_id: str, reason: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def get_contract(self, caller: Caller, contract_id: str) -> Record: ...

    @rpc_method
    async def list_contracts(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    # -- orders ------------------------------------------------------------------------------
    @rpc_method
    async def place_order(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def cancel_order(
        self, caller: Caller, order_id: str, reason: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def get_order(self, caller: Caller, order_id: str) -> Record: ...

    @rpc_method
    async def list_orders(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...
