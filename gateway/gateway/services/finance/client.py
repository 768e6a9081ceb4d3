"""The ``finance`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from finance.contracts import SERVICE

from gateway.services.finance.client_payments import PaymentsRpc


class FinanceClient(PaymentsRpc):
    service_name = SERVICE
