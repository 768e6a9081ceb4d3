"""The ``search`` service: one query box across every kind, filtered by the caller's ACL."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller

from gateway.rpc import RpcClient

SERVICE = "search"


class SearchClient:
    def __init__(self, rpc: RpcClient, service: str = SERVICE) -> None:
        self.rpc = rpc
        self.service = service

    async def search(
        self,
        caller: Caller,
        q: str,
        *,
        kinds: list[str] | None = None,
        owner_id: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"caller": caller.to_payload(), "q": q, "limit": limit}
        # Only what is set: the service's defaults stay the service's business.
        for key, value in (
            ("kinds", kinds),
            ("owner_id", owner_id),
            ("date_from", date_from),
            ("date_to", date_to),
            ("cursor", cursor),
        ):
            if value:
                kwargs[key] = value
        return await self.rpc.call(self.service, "search", kwargs)

    async def suggest(self, caller: Caller, q: str, limit: int = 8) -> list[dict[str, Any]]:
        result = await self.rpc.call(
            self.service, "suggest", {"caller": caller.to_payload(), "q": q, "limit": limit}
        )
        return result if isinstance(result, list) else []
