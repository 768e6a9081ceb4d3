"""Idempotency keys in the gateway's real database: one winner per key across replicas."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from gateway.idempotency import Claimed, InFlight, Mismatch, Replay, StoredResponse
from gateway.idempotency_sql import SqlIdempotencyStore
from kernel.clock import utcnow
from sqlalchemy import text

pytestmark = pytest.mark.integration
LEASE, TTL = timedelta(seconds=20), timedelta(hours=24)


@pytest.fixture
def store(gateway_sessions) -> SqlIdempotencyStore:
    return SqlIdempotencyStore(gateway_sessions)


def test_lifecycle(store):
    now = utcnow()
    answer = StoredResponse(201, {"location": "/api/v1/customers/c1", "etag": '"1"'}, b"{}")
    assert store.begin("u1", "k", "f1", now=now, lease=LEASE, ttl=TTL) == Claimed()
    assert store.begin("u1", "k", "f1", now=now, lease=LEASE, ttl=TTL) == InFlight()
    assert store.begin("u2", "k", "f1", now=now, lease=LEASE, ttl=TTL) == Claimed()  # per user
    store.finish("u1", "k", answer)
    assert store.begin("u1", "k", "f1", now=now, lease=LEASE, ttl=TTL) == Replay(answer)
    assert store.begin("u1", "k", "f2", now=now, lease=LEASE, ttl=TTL) == Mismatch()
    store.release("u2", "k")
    assert store.begin("u2", "k", "f9", now=now, lease=LEASE, ttl=TTL) == Claimed()
    assert store.begin("u1", "k", "f2", now=now + TTL, lease=LEASE, ttl=TTL) == Claimed()  # expired


def test_abandoned_first_attempts_can_be_retried_after_the_lease(store):
    now = utcnow()
    assert store.begin("u1", "lost", "f", now=now, lease=LEASE, ttl=TTL) == Claimed()
    assert store.begin("u1", "lost", "f", now=now + LEASE / 2, lease=LEASE, ttl=TTL) == InFlight()
    assert store.begin("u1", "lost", "f", now=now + LEASE * 2, lease=LEASE, ttl=TTL) == Claimed()


def test_concurrent_claims_have_exactly_one_winner(store):
    now = utcnow()

    def claim(_: int) -> object:
        return store.begin("u1", "race", "f", now=now, lease=LEASE, ttl=TTL)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(claim, range(16)))
    assert outcomes.count(Claimed()) == 1 and outcomes.count(InFlight()) == 15


def test_expired_keys_are_purged(store, gateway_engine):
    past = utcnow() - TTL * 2
    for i in range(3):
        store.begin("u1", f"old-{i}", "f", now=past, lease=LEASE, ttl=TTL)
    store.begin("u1", "fresh", "f", now=utcnow(), lease=LEASE, ttl=TTL)
    with gateway_engine.connect() as conn:
        keys = set(conn.execute(text("SELECT key FROM idempotency_keys")).scalars())
    assert keys == {"fresh"}
