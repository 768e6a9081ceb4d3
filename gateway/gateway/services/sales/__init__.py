"""The sales service in the gateway: leads, opportunities, quotes, contracts, orders, analytics."""

from __future__ import annotations

from pathlib import Path

from sales.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.sales import (
    api_analytics,
    api_deals,
    api_leads,
    api_opportunities,
    api_quotes,
    capabilities,
    web_analytics,
    web_deals,
    web_leads,
    web_opportunities,
    web_quotes,
)

MODULE = ServiceModule(
    name=SERVICE,
    label="销售服务",
    api=(
        *api_leads.ROUTERS,
        *api_opportunities.ROUTERS,
        *api_quotes.ROUTERS,
        *api_deals.ROUTERS,
        *api_analytics.ROUTERS,
    ),
    web=(
        *web_leads.ROUTERS,
        *web_opportunities.ROUTERS,
        *web_quotes.ROUTERS,
        *web_deals.ROUTERS,
        *web_analytics.ROUTERS,
    ),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.sales.fake:FakeSalesService",
    seed="gateway.services.sales.seed:seed",
    customer_tabs=(
        web_opportunities.CUSTOMER_TAB,
        CustomerTab(
            "quotes", "报价 Quotes", "quotes:read", "quotes_customer_tab.html", web_quotes.customer_tab
        ),
        CustomerTab(
            "contracts", "合同 Contracts", "contracts:read", "deals_customer_tab.html", web_deals.customer_tab
        ),
    ),
    nav=(
        NavLink("leads", "/leads", "线索 Leads", capability="leads:read"),
        NavLink("opportunities", "/opportunities", "商机 Opportunities", capability="opportunities:read"),
        NavLink("approvals", "/approvals", "审批 Approvals", capability="quotes:approve"),
        NavLink("contracts", "/contracts", "合同 Contracts", capability="contracts:read"),
        NavLink("sales-dashboard", "/sales/dashboard", "销售分析 Funnel", capability="analytics:read"),
    ),
)
