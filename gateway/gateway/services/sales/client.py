"""The ``sales`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from sales.contracts import SERVICE

from gateway.services.sales.client_analytics import AnalyticsRpc
from gateway.services.sales.client_deals import DealsRpc
from gateway.services.sales.client_leads import LeadsRpc
from gateway.services.sales.client_opportunities import OpportunitiesRpc
from gateway.services.sales.client_quotes import QuotesRpc


class SalesClient(LeadsRpc, OpportunitiesRpc, QuotesRpc, DealsRpc, AnalyticsRpc):
    service_name = SERVICE
