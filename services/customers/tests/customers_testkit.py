from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pytest
from customers.app import CustomerHub
from kernel.db import make_engine, make_sessionmaker
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM, Caller
from kernel.migrate import upgrade
from kernel.testing import TestServers
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

TABLES = (
    "customers, contacts, follow_ups, tasks, audit_log, directory_users, outbox, "
    "processed_events, consumed_versions"
)

SALES1 = Caller("u-sales1", ("sales",), "team-east")
SALES2 = Caller("u-sales2", ("sales",), "team-south")
MANAGER = Caller("u-manager", ("manager",), "team-east")
ADMIN = Caller("u-admin", ("admin",), None)
FINANCE = Caller("u-finance", ("finance",), None)
USERS = [
    {"id": "u-sales1", "username": "sales1", "team_id": "team-east", "roles": ["sales"], "version": 1},
    {"id": "u-sales1b", "username": "sales1b", "team_id": "team-east", "roles": ["sales"], "version": 1},
    {"id": "u-sales2", "username": "sales2", "team_id": "team-south", "roles": ["sales"], "version": 1},
    {"id": "u-manager", "username": "manager", "team_id": "team-east", "roles": ["manager"], "version": 1},
    {"id": "u-admin", "username": "admin", "team_id": None, "roles": ["admin"], "version": 1},
    {
        "id": "u-gone",
        "username": "gone",
        "team_id": "team-east",
        "roles": ["sales"],
        "active": False,
        "version": 1,
    },
]


class InProcessCustomers:
    """The customers port on the customers use cases in process (same database as customers tests)."""

    def __init__(self, hub: CustomerHub) -> None:
        self.hub = hub

    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.hub.get_customer(caller, customer_id)
        return result

    def create_customer(self, caller: Caller, data: dict[str, Any], force: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self.hub.create_customer(caller, data, force)
        return result

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        return getattr(self.hub, method)(caller, **kwargs)


@pytest.fixture(scope="session")
def servers() -> TestServers:
    return TestServers()


@pytest.fixture(scope="session")
def customers_engine(servers: TestServers) -> Iterator[Engine]:
    engine = make_engine(servers.customers_database_url, pool_size=5)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as exc:  # the servers are part of the suite: fail loudly, never skip
        pytest.fail(f"PostgreSQL test database unreachable ({exc}); run deploy/local/up.sh")
    upgrade("customers", servers.customers_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(customers_engine: Engine) -> sessionmaker[Session]:
    with customers_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES}"))
    return make_sessionmaker(customers_engine)


@pytest.fixture
def hub(sessions: sessionmaker[Session]) -> CustomerHub:
    hub = CustomerHub(sessions)
    for user in USERS:
        hub.upsert_user(SYSTEM, user)
    return hub


def start_process(mode: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """``python -m kernel.run customers <mode>``; stderr is kept for ``wait_until_serving``'s message."""
    return subprocess.Popen(
        [sys.executable, "-m", "kernel.run", "customers", mode],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until_serving(proxy: Any, service: subprocess.Popen[bytes], *, timeout: float = 30.0) -> None:
    """Ping the customers service over RPC until it answers; fail with its stderr if it exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            assert proxy.customers.ping() == "pong"
            return
        except Exception:
            if service.poll() is not None or time.monotonic() > deadline:
                err = service.stderr.read().decode() if service.stderr else ""
                pytest.fail(f"customers service did not start:\n{err[-3000:]}")
            time.sleep(0.3)


@pytest.fixture
def customer(hub: CustomerHub) -> Callable[..., dict[str, Any]]:
    """``customer(caller, name, **fields)``: a customer created through the customers use cases
    (duplicate check forced through), for any service's tests."""

    def create(caller: Caller, name: str, **fields: Any) -> dict[str, Any]:
        state: dict[str, Any] = hub.create_customer(caller, {"name": name, **fields}, True)
        return state

    return create


def user_events(users: Iterable[Mapping[str, Any]]) -> list[Envelope]:
    """``user.upserted`` events of ``users`` as the gateway publishes them (for a service's replica)."""
    return [
        make_event(
            type="user.upserted",
            source="identity",
            aggregate_type="user",
            aggregate_id=user["id"],
            version=1,
            actor_id="system",
            data={"active": True, "display_name": None, **user},
        )
        for user in users
    ]
