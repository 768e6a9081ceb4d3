"""The customers service in the gateway: customers, contacts, follow-ups, tasks (API and pages)."""

from __future__ import annotations

from pathlib import Path

from customers.contracts import SERVICE

from gateway.services import ServiceModule
from gateway.services.customers import api, labels, web_actions, web_edit, web_pages

MODULE = ServiceModule(
    name=SERVICE,
    label="客户服务",
    api=api.ROUTERS,
    web=(web_pages.router, web_actions.router, web_edit.router),
    templates=Path(__file__).resolve().parent / "templates",
    labels=labels.LABELS,
    fake="gateway.services.customers.fake:FakeCustomersService",
)
