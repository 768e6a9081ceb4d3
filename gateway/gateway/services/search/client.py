# mypy: disable-error-code="empty-body"
"""The ``search`` service: one query box across every kind, filtered by the caller's ACL."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller

from gateway.services.rpc_client import ServiceClient, rpc_method

SERVICE = "search"


class SearchClient(ServiceClient):
    service_name = SERVICE

    # Unset filters are left out: the service's defaults stay the service's business.
    @rpc_method(omit_none=True)
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
        facets: bool | None = None,  # hits per kind: only where they are shown
    ) -> dict[str, Any]: ...

    async def suggest(self, caller: Caller, q: str, limit: int = 8) -> list[dict[str, Any]]:
        result = await self.call("suggest", caller, q=q, limit=limit)
        return result if isinstance(result, list) else []
