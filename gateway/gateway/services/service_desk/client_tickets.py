# mypy: disable-error-code="empty-body"
"""RPC stubs of the service desk's tickets area (service_desk.contracts.tickets documents each
method)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from service_desk.contracts import SERVICE

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method


class TicketsRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def create_ticket(self, caller: Caller, data: Record) -> Record: ...

    @rpc_method
    async def get_ticket(self, caller: Caller, ticket_id: str) -> Record: ...

    @rpc_method
    async def list_tickets(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def ticket_queue(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def update_ticket(
        self, caller: Caller, ticket_id: str, data: Record, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def assign_ticket(
        self, caller: Caller, ticket_id: str, assignee_id: str | None, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def add_comment(self, caller: Caller, ticket_id: str, data: Record) -> Record: ...

    @rpc_method
    async def change_status(
        self,
        caller: Caller,
        ticket_id: str,
        status: str,
        expected_version: int | None,
        note: str | None = None,
    ) -> Record: ...

    @rpc_method
    async def add_attachment(self, caller: Caller, ticket_id: str, data: Record) -> Record: ...
