"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.finance import (
    api_bank,
    api_collections,
    api_invoices,
    api_payments,
    api_receivables,
    capabilities,
    web_bank,
    web_collections,
    web_invoices,
    web_payments,
    web_receivables,
)

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    # Static paths go before the routers ending in /{id}: /api/v1/receivables/<word> (aging,
    # forecast, summary) before api_receivables, /payments/import and /payments/review before the
    # /payments/{id} page.
    api=(
        *api_bank.ROUTERS,
        *api_collections.ROUTERS,
        *api_invoices.ROUTERS,
        *api_payments.ROUTERS,
        *api_receivables.ROUTERS,
    ),
    web=(
        *web_bank.ROUTERS,
        *web_collections.ROUTERS,
        *web_invoices.ROUTERS,
        *web_payments.ROUTERS,
        *web_receivables.ROUTERS,
    ),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    seed="gateway.services.finance.seed:seed",
    customer_tabs=(
        CustomerTab(
            "finance",
            "财务 Finance",
            "receivables:read",
            "receivables_customer_tab.html",
            web_receivables.customer_tab,
        ),
        CustomerTab(
            "credit",
            "信用 Credit",
            "receivables:read",
            "collections_customer_tab.html",
            web_collections.customer_tab,
        ),
        CustomerTab(
            "payments",
            "回款 Payments",
            "payments:read",
            "payments_customer_tab.html",
            web_payments.customer_tab,
        ),
        CustomerTab(
            "invoices",
            "发票 Invoices",
            "invoices:read",
            "invoices_customer_tab.html",
            web_invoices.customer_tab,
        ),
    ),
    nav=(
        NavLink("receivables", "/receivables", "应收 Receivables", capability="receivables:read"),
        NavLink("payments", "/payments", "回款 Payments", capability="payments:read"),
        NavLink("bank-import", "/payments/import", "银行流水 Bank import", capability="bank_import:write"),
        NavLink("aging", "/receivables/aging", "账龄 Aging", capability="receivables:read"),
        NavLink("invoices", "/invoices", "发票 Invoices", capability="invoices:read"),
        NavLink("write-offs", "/write-offs", "坏账核销 Write-offs", capability="write_offs:approve"),
        NavLink(
            "finance-notifications", "/finance/notifications", "提醒 Alerts", capability="receivables:read"
        ),
    ),
)
