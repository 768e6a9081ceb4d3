# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's analytics area (sales.contracts.analytics documents each method)."""

from __future__ import annotations

from kernel.identity import Caller
from sales.contracts import SERVICE

from gateway.services.rpc_client import Record, ServiceClient, rpc_method


class AnalyticsRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def funnel(
        self,
        caller: Caller,
        owner_id: str | None,
        team_id: str | None,
        date_from: str | None,
        date_to: str | None,
        currency: str,
    ) -> Record: ...
