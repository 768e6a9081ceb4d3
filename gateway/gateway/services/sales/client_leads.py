# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's leads area (sales.contracts.leads documents each method)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from sales.contracts import SERVICE

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class LeadsRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def create_lead(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def create_leads(self, caller: Caller, rows: list[Any]) -> Record: ...

    @rpc_method
    async def get_lead(self, caller: Caller, lead_id: str) -> Record: ...

    @rpc_method
    async def update_lead(
        self, caller: Caller, lead_id: str, changes: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def list_leads(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def claim_lead(self, caller: Caller, lead_id: str, expected_version: int | None) -> Record: ...

    @rpc_method
    async def assign_lead(
        self, caller: Caller, lead_id: str, owner_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def release_lead(
        self, caller: Caller, lead_id: str, reason: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def log_lead_follow_up(
        self, caller: Caller, lead_id: str, note: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def disqualify_lead(
        self, caller: Caller, lead_id: str, reason: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def convert_lead(
        self, caller: Caller, lead_id: str, data: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def assign_from_pool(self, caller: Caller, team_id: str | None, limit: int) -> Record: ...

    @rpc_method
    async def create_assignment_rule(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def update_assignment_rule(
        self, caller: Caller, rule_id: str, changes: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def delete_assignment_rule(self, caller: Caller, rule_id: str) -> Record: ...

    @rpc_method
    async def list_assignment_rules(self, caller: Caller, team_id: str | None) -> PageDict: ...
