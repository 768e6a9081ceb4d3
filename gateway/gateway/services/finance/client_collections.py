# mypy: disable-error-code="empty-body"
"""RPC stubs of the finance service's collections area (finance.contracts.collections documents
each method)."""

from __future__ import annotations

from finance.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import Record, ServiceClient, rpc_method


class CollectionsRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def get_customer_risk(self, caller: Caller, customer_id: str) -> Record: ...

    @rpc_method(omit_none=True)
    async def aging_report(
        self,
        caller: Caller,
        group_by: str,
        owner: str | None,
        team: str | None,
        as_of: str | None,
        limit: int | None = None,
    ) -> Record: ...

    @rpc_method
    async def collections_forecast(
        self,
        caller: Caller,
        months: int,
        owner: str | None,
        team: str | None,
        customer_id: str | None,
        as_of: str | None,
    ) -> Record: ...

    @rpc_method
    async def list_notifications(
        self, caller: Caller, unread_only: bool, cursor: str | None, limit: int | None
    ) -> Record: ...

    @rpc_method
    async def mark_notification_read(self, caller: Caller, notification_id: str) -> Record: ...

    @rpc_method
    async def unread_notifications(self, caller: Caller) -> int: ...
