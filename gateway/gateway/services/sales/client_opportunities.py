# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's opportunities area (sales.contracts.opportunities)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from sales.contracts import SERVICE

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class OpportunitiesRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def create_opportunity(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def get_opportunity(self, caller: Caller, opportunity_id: str) -> Record: ...

    @rpc_method
    async def update_opportunity(
        self, caller: Caller, opportunity_id: str, changes: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def change_stage(
        self,
        caller: Caller,
        opportunity_id: str,
        stage: str,
        lost_reason: str | None = None,
        lost_note: str | None = None,
        expected_version: int | None = None,
    ) -> Record: ...

    @rpc_method
    async def delete_opportunity(
        self, caller: Caller, opportunity_id: str, expected_version: int | None
    ) -> None: ...

    @rpc_method
    async def list_opportunities(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def list_lost_reasons(self, caller: Caller, include_retired: bool = False) -> PageDict: ...

    @rpc_method
    async def add_lost_reason(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def update_lost_reason(self, caller: Caller, code: str, changes: Record) -> Record: ...

    @rpc_method
    async def get_stage_settings(self, caller: Caller) -> list[Record]: ...

    @rpc_method
    async def set_stage_probabilities(
        self, caller: Caller, probabilities: dict[str, int]
    ) -> list[Record]: ...
