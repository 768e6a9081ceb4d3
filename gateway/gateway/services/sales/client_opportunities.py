# mypy: disable-error-code="empty-body"
"""RPC stubs of the sales service's opportunities area (sales.contracts.opportunities)."""

from __future__ import annotations

from sales.contracts import SERVICE

from gateway.services.rpc_client import ServiceClient


class OpportunitiesRpc(ServiceClient):
    service_name = SERVICE
