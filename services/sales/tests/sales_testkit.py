"""Fixtures of the sales tests: the real sales and customers databases, the customers use cases
in process behind the sales service's customers port (no broker needed), and the usual callers.

    def test_something(sales: SalesApp, customer: Callable[..., dict]) -> None:
        acme = customer(SALES1, "A科技有限公司")
        sales.run(SALES1, opportunities.create_opportunity, {...})
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from customers.app import CustomerHub
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, USERS, InProcessCustomers, user_events
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import SYSTEM
from kernel.migrate import upgrade
from kernel.testing import TestServers, running_service
from sales.app import SalesApp
from sales.handlers import replicas
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ADMIN", "FINANCE", "MANAGER", "SALES1", "SALES2", "USERS", "InProcessCustomers"]

# Seeded by the migration and kept between tests: stage_settings, lost_reasons.
KEPT = {"stage_settings", "lost_reasons", "alembic_version"}


@pytest.fixture(scope="session")
def sales_engine(servers: TestServers) -> Iterator[Engine]:
    engine = make_engine(servers.sales_database_url, pool_size=5)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as exc:  # the servers are part of the suite: fail loudly, never skip
        pytest.fail(f"PostgreSQL test database unreachable ({exc}); run deploy/local/up.sh")
    upgrade("sales", servers.sales_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sales_sessions(sales_engine: Engine) -> sessionmaker[Session]:
    with sales_engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        names = ", ".join(sorted(t for t in tables if t not in KEPT))
        conn.execute(text(f"TRUNCATE {names}"))
    return make_sessionmaker(sales_engine)


@pytest.fixture
def sales(sales_sessions: sessionmaker[Session], hub: CustomerHub) -> SalesApp:
    """The sales use cases on a clean database, with the directory replica holding ``USERS``."""
    app = SalesApp(sales_sessions, InProcessCustomers(hub))
    for event in user_events(USERS):
        app.run(SYSTEM, replicas.user_upserted, event)
    return app


@pytest.fixture
def sales_process(servers: TestServers) -> Iterator[None]:
    """The real sales process (``kernel.run sales``) on the test databases, until the test ends."""
    with running_service(
        "sales",
        servers.rabbitmq_url,
        {
            "PANORAMA_SALES_DATABASE_URL": servers.sales_database_url,
            "PANORAMA_CUSTOMERS_DATABASE_URL": servers.customers_database_url,
        },
    ):
        yield
