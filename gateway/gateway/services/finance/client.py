"""The ``finance`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from finance.contracts import SERVICE

from gateway.services.finance.client_bank import BankRpc
from gateway.services.rpc_client import ServiceClient


class FinanceClient(BankRpc, ServiceClient):
    service_name = SERVICE
