"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import NavLink, ServiceModule
from gateway.services.finance import api_bank, capabilities, web_bank

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    api=(*api_bank.ROUTERS,),
    web=(*web_bank.ROUTERS,),  # before any /payments/{id} page: /payments/import is not an id
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
    nav=(NavLink("bank-import", "/payments/import", "银行流水 Bank import", capability="bank_import:write"),),
)
