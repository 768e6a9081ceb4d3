"""Fixtures of the finance tests: the real finance and customers databases, the customers use
cases in process behind the finance service's customers port (no broker needed), the usual
callers plus a finance manager and a support agent, and an ``order.placed`` event maker.

    def test_something(finance: FinanceApp, customer: Callable[..., dict]) -> None:
        acme = customer(SALES1, "A科技有限公司")
        finance.run(SYSTEM, receivables.order_placed, order_event(acme, instalments=[...]))
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from customers.app import CustomerHub
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, USERS, InProcessCustomers, user_events
from finance.app import FinanceApp
from finance.storage.models import directory_users
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM, Caller
from kernel.ids import new_id
from kernel.replicas import user_upserted
from kernel.testing import TestServers, migrated_engine, truncate_tables
from sales.contracts.deals import Order
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ADMIN", "FINANCE", "FINANCE_MANAGER", "MANAGER", "SALES1", "SALES2", "SUPPORT", "order_event"]

FINANCE_MANAGER = Caller("u-finmgr", ("finance", "manager"), None)
SUPPORT = Caller("u-support", ("support",), "team-support")
FINANCE_USERS = [
    *USERS,
    {"id": "u-finance", "username": "finance", "team_id": None, "roles": ["finance"], "version": 1},
    {"id": "u-finmgr", "username": "finmgr", "team_id": None, "roles": ["finance", "manager"], "version": 1},
    {"id": "u-support", "username": "support", "team_id": "team-support", "roles": ["support"], "version": 1},
]


@pytest.fixture(scope="session")
def finance_engine(servers: TestServers) -> Iterator[Engine]:
    engine = migrated_engine("finance", servers.finance_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def finance_sessions(finance_engine: Engine) -> sessionmaker[Session]:
    from kernel.db import make_sessionmaker

    truncate_tables(finance_engine)
    return make_sessionmaker(finance_engine)


@pytest.fixture
def finance(finance_sessions: sessionmaker[Session], hub: CustomerHub) -> FinanceApp:
    """The finance use cases on a clean database, with the directory replica holding the users."""
    app = FinanceApp(finance_sessions, InProcessCustomers(hub))
    for event in user_events(FINANCE_USERS):
        app.run(SYSTEM, lambda unit, e: user_upserted(unit.session, directory_users, e), event)
    return app


def order_event(
    customer: dict[str, Any],
    instalments: list[tuple[date, int]],
    *,
    type: str = "order.placed",
    order_id: str | None = None,
    version: int = 1,
    currency: str = "CNY",
    number: str = "SO-2026-000001",
    owner: Caller = SALES1,
) -> Envelope:
    """An order event as the sales service publishes it (``sales.contracts.deals.Order``)."""
    order_id = order_id or new_id()
    plan = [
        {"seq": i + 1, "due_date": due.isoformat(), "amount_minor": amount}
        for i, (due, amount) in enumerate(instalments)
    ]
    data = {
        "id": order_id,
        "number": number,
        "contract_id": new_id(),
        "opportunity_id": new_id(),
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "customer_owner_id": customer["owner_id"],
        "owner_id": owner.user_id,
        "team_id": owner.team_id,
        "status": "cancelled" if type == "order.cancelled" else "placed",
        "currency": currency,
        "amount_minor": sum(amount for _, amount in instalments),
        "instalments": plan,
        "version": version,
    }
    Order.model_validate(data)  # the sales contract: what the real producer sends
    return make_event(
        type=type,
        source="sales",
        aggregate_type="order",
        aggregate_id=order_id,
        version=version,
        actor_id=owner.user_id,
        customer_id=customer["id"],
        data=data,
    )
