# mypy: disable-error-code="empty-body"
"""The ``customers`` service as the gateway calls it (customers.contracts documents each method)."""

from __future__ import annotations

from typing import Any

from customers.contracts import SERVICE
from kernel.identity import Caller

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method

# kind (as in the RPC method names) -> name of its id parameter
CHILD_KINDS = {"contact": "contact_id", "follow_up": "follow_up_id", "task": "task_id"}


class CustomersClient(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def create_customer(self, caller: Caller, data: Record, force: bool = False) -> Record: ...

    @rpc_method
    async def get_customer(self, caller: Caller, customer_id: str) -> Record: ...

    @rpc_method
    async def update_customer(
        self,
        caller: Caller,
        customer_id: str,
        changes: Record,
        expected_version: int | None,
        force: bool = False,
    ) -> Record: ...

    @rpc_method
    async def delete_customer(
        self, caller: Caller, customer_id: str, expected_version: int | None
    ) -> Record: ...

    @rpc_method
    async def list_customers(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def transfer_customers(
        self,
        caller: Caller,
        from_user_id: str,
        to_user_id: str,
        customer_ids: list[str] | None,
        reason: str | None,
    ) -> Record: ...

    @rpc_method
    async def get_audit(
        self, caller: Caller, customer_id: str, cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def list_tasks(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> PageDict: ...

    # Contacts, follow-ups and tasks share one shape, so the routes address them by kind.
    async def create_child(self, kind: str, caller: Caller, customer_id: str, data: Record) -> Record:
        if kind == "task":
            result: Record = await self.call("create_task", caller, data={**data, "customer_id": customer_id})
            return result
        created: Record = await self.call(f"create_{kind}", caller, customer_id=customer_id, data=data)
        return created

    async def get_child(self, kind: str, caller: Caller, record_id: str) -> Record:
        record: Record = await self.call(f"get_{kind}", caller, **{CHILD_KINDS[kind]: record_id})
        return record

    async def update_child(
        self, kind: str, caller: Caller, record_id: str, changes: Record, expected_version: int | None
    ) -> Record:
        record: Record = await self.call(
            f"update_{kind}",
            caller,
            **{CHILD_KINDS[kind]: record_id},
            changes=changes,
            expected_version=expected_version,
        )
        return record

    async def delete_child(
        self, kind: str, caller: Caller, record_id: str, expected_version: int | None
    ) -> Record:
        record: Record = await self.call(
            f"delete_{kind}", caller, **{CHILD_KINDS[kind]: record_id}, expected_version=expected_version
        )
        return record

    async def list_children(
        self, kind: str, caller: Caller, customer_id: str, cursor: str | None, limit: int
    ) -> PageDict:
        page: PageDict = await self.call(
            f"list_{kind}s", caller, customer_id=customer_id, cursor=cursor, limit=limit
        )
        return page
