"""Fixtures of the service-desk tests: the real service-desk and customers databases, the
customers use cases in process behind the service's customers port (no broker needed), and the
usual callers plus support agents.

    def test_something(desk: ServiceDeskApp, customer: Callable[..., dict]) -> None:
        acme = customer(SALES1, "A科技有限公司", value_tier="vip")
        desk.run(SUPPORT, tickets.create_ticket, {...})
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from customers.app import CustomerHub
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, USERS, InProcessCustomers, user_events
from kernel.db import make_sessionmaker
from kernel.identity import SYSTEM, Caller
from kernel.replicas import user_upserted
from kernel.testing import TestServers, migrated_engine, truncate_tables
from service_desk.app import ServiceDeskApp
from service_desk.storage.models import directory_users
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ADMIN", "FINANCE", "MANAGER", "SALES1", "SALES2", "SUPPORT", "SUPPORT2", "SUPPORT_LEAD"]

SUPPORT = Caller("u-support", ("support",), "team-support")
SUPPORT2 = Caller("u-support2", ("support",), "team-support")
SUPPORT_LEAD = Caller("u-support-lead", ("support", "manager"), "team-support")
DESK_USERS = [
    *USERS,
    {"id": "u-finance", "username": "finance", "team_id": None, "roles": ["finance"], "version": 1},
    {"id": "u-support", "username": "support", "team_id": "team-support", "roles": ["support"], "version": 1},
    {
        "id": "u-support2",
        "username": "support2",
        "team_id": "team-support",
        "roles": ["support"],
        "version": 1,
    },
    {
        "id": "u-support-lead",
        "username": "supportlead",
        "team_id": "team-support",
        "roles": ["support", "manager"],
        "version": 1,
    },
]


@pytest.fixture(scope="session")
def desk_engine(servers: TestServers) -> Iterator[Engine]:
    engine = migrated_engine("service_desk", servers.service_desk_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def desk_sessions(desk_engine: Engine) -> sessionmaker[Session]:
    truncate_tables(desk_engine)
    return make_sessionmaker(desk_engine)


@pytest.fixture
def desk(desk_sessions: sessionmaker[Session], hub: CustomerHub) -> ServiceDeskApp:
    """The service-desk use cases on a clean database, with the directory replica holding the users."""
    app = ServiceDeskApp(desk_sessions, InProcessCustomers(hub))
    for event in user_events(DESK_USERS):
        app.run(SYSTEM, lambda unit, e: user_upserted(unit.session, directory_users, e), event)
    return app
