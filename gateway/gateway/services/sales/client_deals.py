# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's deals area (sales.contracts.deals documents each method)."""

from __future__ import annotations

from sales.contracts import SERVICE

from gateway.services.rpc_client import ServiceClient


class DealsRpc(ServiceClient):
    service_name = SERVICE
