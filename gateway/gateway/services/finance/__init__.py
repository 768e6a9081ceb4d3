"""The finance service in the gateway: receivables, payments, invoices, bank import."""

from __future__ import annotations

from pathlib import Path

from finance.contracts import SERVICE

from gateway.services import ServiceModule
from gateway.services.finance import capabilities

MODULE = ServiceModule(
    name=SERVICE,
    label="财务服务",
    api=(),
    web=(),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.finance.fake:FakeFinanceService",
)
