"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.finance import api_invoices, capabilities, web_invoices

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    api=(*api_invoices.ROUTERS,),
    web=(*web_invoices.ROUTERS,),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    customer_tabs=(
        CustomerTab(
            "invoices",
            "发票 Invoices",
            "invoices:read",
            "invoices_customer_tab.html",
            web_invoices.customer_tab,
        ),
    ),
    nav=(
        NavLink("invoices", "/invoices", "发票 Invoices", capability="invoices:read"),
        NavLink("write-offs", "/write-offs", "坏账核销 Write-offs", capability="write_offs:approve"),
    ),
)
