"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import NavLink, ServiceModule
from gateway.services.finance import api_payments, capabilities, web_payments

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    api=(*api_payments.ROUTERS,),
    web=(*web_payments.ROUTERS,),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    nav=(NavLink("payments", "/payments", "回款 Payments", capability="payments:read"),),
)
