"""The login throttle on the real PostgreSQL: reservations before verification, shared by replicas."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from gateway.auth.directory import Directory
from gateway.auth.sql_store import SqlUserStore
from gateway.auth.sql_throttle import SqlLoginThrottle
from gateway.auth.throttle import Throttled
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD, CountingVerifier, FakeRpc
from kernel.db import make_sessionmaker
from sqlalchemy import text

pytestmark = pytest.mark.integration

LIMITS = {"max_failures_per_account": 5, "max_failures_per_address": 20, "window_seconds": 300}


@pytest.fixture
def sales1(gateway_sessions) -> None:
    Directory(SqlUserStore(gateway_sessions)).create_user(
        username="sales1", password=TEST_PASSWORD, roles=["sales"]
    )


@pytest.fixture
def replicas(servers, gateway_engine, gateway_sessions, sales1) -> Iterator[list[TestClient]]:
    """Two gateway apps, each with its own engine and throttle object, on the same database."""
    settings = GatewaySettings(
        environment="test", gateway_database_url=servers.gateway_database_url, migrate_on_start=False
    )
    with ExitStack() as stack:
        yield [stack.enter_context(TestClient(create_app(settings, rpc=FakeRpc()))) for _ in range(2)]


def _wrong_logins_in_parallel(clients: list[TestClient], attempts: int) -> list[int]:
    start = threading.Barrier(attempts)

    def attempt(i: int) -> int:
        start.wait()
        client = clients[i % len(clients)]
        return client.post(
            "/api/v1/auth/token", data={"username": "sales1", "password": "wrong password"}
        ).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


def test_forty_parallel_wrong_passwords_verify_at_most_the_limit(replicas, monkeypatch):
    verifier = CountingVerifier.install(monkeypatch)
    statuses = _wrong_logins_in_parallel(replicas[:1], 40)
    assert 0 < verifier.count <= 5
    assert statuses.count(401) == verifier.count
    assert statuses.count(429) == 40 - verifier.count


def test_two_replicas_share_one_limit(replicas, monkeypatch):
    verifier = CountingVerifier.install(monkeypatch)
    statuses = _wrong_logins_in_parallel(replicas, 40)  # half to each replica
    assert 0 < verifier.count <= 5
    assert statuses.count(429) == 40 - verifier.count
    # Either replica now refuses even the right password, with the same Retry-After horizon.
    for client in replicas:
        refused = client.post("/api/v1/auth/token", data={"username": "sales1", "password": TEST_PASSWORD})
        assert refused.status_code == 429
        assert 0 < int(refused.headers["retry-after"]) <= 300


def test_failures_on_one_replica_count_on_the_other(replicas):
    first, second = replicas
    for _ in range(4):
        assert (
            first.post("/api/v1/auth/token", data={"username": "sales1", "password": "nope nope"}).status_code
            == 401
        )
    assert (
        second.post("/api/v1/auth/token", data={"username": "sales1", "password": "nope nope"}).status_code
        == 401
    )
    assert (
        first.post("/api/v1/auth/token", data={"username": "sales1", "password": TEST_PASSWORD}).status_code
        == 429
    )


@pytest.fixture
def throttles(gateway_engine, gateway_sessions) -> list[SqlLoginThrottle]:
    # Two throttle objects on two session factories: what two replicas hold.
    return [SqlLoginThrottle(make_sessionmaker(gateway_engine), **LIMITS) for _ in range(2)]


def test_window_limit_and_success_semantics(throttles, gateway_engine):
    one, two = throttles
    for i in range(4):
        (one if i % 2 else two).reserve("u", "10.0.0.1")
    success = one.reserve("u", "10.0.0.1")  # the fifth attempt is still allowed ...
    with pytest.raises(Throttled) as refused:
        two.reserve("u", "10.0.0.1")  # ... the sixth is not, on either replica
    assert 290 < refused.value.retry_after <= 300
    one.succeeded(success)  # a success clears the account
    two.reserve("u", "10.0.0.1")
    # The address kept its failures against "u" (the success gave back only its own attempt).
    with gateway_engine.connect() as conn:
        address_rows = conn.execute(
            text("SELECT count(*) FROM login_failures WHERE key = 'addr:10.0.0.1'")
        ).scalar_one()
    assert address_rows == 5


def test_failures_leave_the_window(throttles, gateway_engine):
    one, _ = throttles
    for _ in range(5):
        one.reserve("u", "10.0.0.2")
    with pytest.raises(Throttled):
        one.reserve("u", "10.0.0.2")
    with gateway_engine.begin() as conn:
        conn.execute(text("UPDATE login_failures SET failed_at = failed_at - interval '301 seconds'"))
    one.reserve("u", "10.0.0.2")


def test_per_address_limit_across_accounts(throttles):
    one, two = throttles
    for i in range(20):
        (one if i % 2 else two).reserve(f"user{i}", "10.0.0.3")
    with pytest.raises(Throttled):
        one.reserve("someone-else", "10.0.0.3")
    two.reserve("someone-else", "10.0.0.4")  # another address is not affected


def test_refused_attempts_write_nothing_and_released_ones_vanish(throttles, gateway_engine):
    one, _ = throttles

    def rows() -> int:
        with gateway_engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM login_failures")).scalar_one())

    one.release(one.reserve("u", "10.0.0.5"))
    assert rows() == 0
    for _ in range(5):
        one.reserve("u", "10.0.0.5")
    for _ in range(10):
        with pytest.raises(Throttled):
            one.reserve("u", "10.0.0.5")
    assert rows() == 10  # 5 attempts x (account, address)
