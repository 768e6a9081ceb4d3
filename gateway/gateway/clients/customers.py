"""The ``customers`` service as the gateway calls it (see customers.contracts for the shapes)."""

from __future__ import annotations

from typing import Any

from customers.contracts import SERVICE
from kernel.identity import Caller

from gateway.rpc import RpcClient

Record = dict[str, Any]
Page = dict[str, Any]  # {"items": [...], "next_cursor": str | None}

# kind (as in the RPC method names) -> name of its id parameter
CHILD_KINDS = {
    "contact": "contact_id",
    "follow_up": "follow_up_id",
    "task": "task_id",
}


class CustomersClient:
    def __init__(self, rpc: RpcClient, service: str = SERVICE) -> None:
        self.rpc = rpc
        self.service = service

    async def _call(self, method: str, caller: Caller, **kwargs: Any) -> Any:
        return await self.rpc.call(self.service, method, {"caller": caller.to_payload(), **kwargs})

    # customers
    async def create_customer(self, caller: Caller, data: Record, force: bool = False) -> Record:
        return await self._call("create_customer", caller, data=data, force=force)

    async def get_customer(self, caller: Caller, customer_id: str) -> Record:
        return await self._call("get_customer", caller, customer_id=customer_id)

    async def update_customer(
        self,
        caller: Caller,
        customer_id: str,
        changes: Record,
        expected_version: int | None,
        force: bool = False,
    ) -> Record:
        return await self._call(
            "update_customer",
            caller,
            customer_id=customer_id,
            changes=changes,
            expected_version=expected_version,
            force=force,
        )

    async def delete_customer(self, caller: Caller, customer_id: str, expected_version: int | None) -> Record:
        return await self._call(
            "delete_customer", caller, customer_id=customer_id, expected_version=expected_version
        )

    async def list_customers(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> Page:
        return await self._call("list_customers", caller, filters=filters, cursor=cursor, limit=limit)

    async def transfer_customers(
        self,
        caller: Caller,
        from_user_id: str,
        to_user_id: str,
        customer_ids: list[str] | None,
        reason: str | None,
    ) -> Record:
        return await self._call(
            "transfer_customers",
            caller,
            from_user_id=from_user_id,
            to_user_id=to_user_id,
            customer_ids=customer_ids,
            reason=reason,
        )

    async def get_audit(self, caller: Caller, customer_id: str, cursor: str | None, limit: int) -> Page:
        return await self._call("get_audit", caller, customer_id=customer_id, cursor=cursor, limit=limit)

    # contacts, follow-ups (children listed per customer) and tasks
    async def create_child(self, kind: str, caller: Caller, customer_id: str, data: Record) -> Record:
        if kind == "task":
            return await self._call("create_task", caller, data={**data, "customer_id": customer_id})
        return await self._call(f"create_{kind}", caller, customer_id=customer_id, data=data)

    async def get_child(self, kind: str, caller: Caller, record_id: str) -> Record:
        return await self._call(f"get_{kind}", caller, **{CHILD_KINDS[kind]: record_id})

    async def update_child(
        self, kind: str, caller: Caller, record_id: str, changes: Record, expected_version: int | None
    ) -> Record:
        return await self._call(
            f"update_{kind}",
            caller,
            **{CHILD_KINDS[kind]: record_id},
            changes=changes,
            expected_version=expected_version,
        )

    async def delete_child(
        self, kind: str, caller: Caller, record_id: str, expected_version: int | None
    ) -> Record:
        return await self._call(
            f"delete_{kind}", caller, **{CHILD_KINDS[kind]: record_id}, expected_version=expected_version
        )

    async def list_children(
        self, kind: str, caller: Caller, customer_id: str, cursor: str | None, limit: int
    ) -> Page:
        method = "list_contacts" if kind == "contact" else "list_follow_ups"
        return await self._call(method, caller, customer_id=customer_id, cursor=cursor, limit=limit)

    async def list_tasks(
        self, caller: Caller, filters: dict[str, Any], cursor: str | None, limit: int
    ) -> Page:
        return await self._call("list_tasks", caller, filters=filters, cursor=cursor, limit=limit)
