"""The ``finance`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from finance.contracts import SERVICE

from gateway.services.rpc_client import ServiceClient


class FinanceClient(ServiceClient):
    service_name = SERVICE
