"""The ``finance`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from finance.contracts import SERVICE

from gateway.services.finance.client_bank import BankRpc
from gateway.services.finance.client_collections import CollectionsRpc
from gateway.services.finance.client_invoices import InvoicesRpc
from gateway.services.finance.client_payments import PaymentsRpc
from gateway.services.finance.client_receivables import ReceivablesRpc


class FinanceClient(ReceivablesRpc, PaymentsRpc, BankRpc, CollectionsRpc, InvoicesRpc):
    service_name = SERVICE
