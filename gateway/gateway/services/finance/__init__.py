"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.finance import api_collections, capabilities, web_collections

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    # api_collections before any /api/v1/receivables/{id} route: "aging" and "forecast" are not ids
    api=(*api_collections.ROUTERS,),
    web=(*web_collections.ROUTERS,),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    customer_tabs=(
        CustomerTab(
            "credit",
            "信用 Credit",
            "receivables:read",
            "collections_customer_tab.html",
            web_collections.customer_tab,
        ),
    ),
    nav=(
        NavLink("aging", "/receivables/aging", "账龄 Aging", capability="receivables:read"),
        NavLink(
            "finance-notifications", "/finance/notifications", "提醒 Alerts", capability="receivables:read"
        ),
    ),
)
