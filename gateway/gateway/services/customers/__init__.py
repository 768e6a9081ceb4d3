"""The customers service in the gateway: customers, contacts, follow-ups, tasks (API and pages)."""

from __future__ import annotations

from pathlib import Path

from customers import contracts as c

from gateway.services import NavLink, ServiceModule
from gateway.services.customers import api, labels, web_actions, web_edit, web_pages

MODULE = ServiceModule(
    name=c.SERVICE,
    label="客户服务",
    api=api.ROUTERS,
    web=(web_pages.router, web_actions.router, web_edit.router),
    templates=Path(__file__).resolve().parent / "templates",
    labels=labels.LABELS,
    template_globals={
        "customer_choices": {"status": c.LIFECYCLE_STATUSES, "tier": c.VALUE_TIERS, "size": c.COMPANY_SIZES},
        # What a new customer's form preselects: the contract's defaults, not a copy.
        "customer_defaults": {
            name: c.CustomerCreate.model_fields[name].default for name in ("status", "value_tier")
        },
    },
    nav=(
        NavLink("customers", "/customers", "客户 Customers"),
        NavLink("tasks", "/tasks", "任务 Tasks", capability="tasks:read"),
    ),
    fake="gateway.services.customers.fake:FakeCustomersService",
)
