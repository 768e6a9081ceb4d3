"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.finance import api_payments, capabilities, web_payments

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    api=(*api_payments.ROUTERS,),
    web=(*web_payments.ROUTERS,),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    customer_tabs=(
        CustomerTab(
            "payments",
            "回款 Payments",
            "payments:read",
            "payments_customer_tab.html",
            web_payments.customer_tab,
        ),
    ),
    nav=(NavLink("payments", "/payments", "回款 Payments", capability="payments:read"),),
)
