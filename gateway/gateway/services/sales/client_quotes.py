# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's quotes area (sales.contracts.quotes documents each method)."""

from __future__ import annotations

from sales.contracts import SERVICE

from gateway.services.rpc_client import ServiceClient


class QuotesRpc(ServiceClient):
    service_name = SERVICE
