"""Pooled connections are pinged only after sitting idle: a busy pool spends no round trip on it,
and a connection the server dropped while idle is replaced instead of failing the request."""

from __future__ import annotations

from typing import Any

import pytest
from kernel import db
from kernel.testing import TestServers
from sqlalchemy import text

pytestmark = pytest.mark.integration


def _counting_pings(engine: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    return pings


def _backend_pid(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged(monkeypatch):
    engine = db.make_engine(TestServers().customers_database_url, pool_size=1)
    pings = _counting_pings(engine, monkeypatch)
    try:
        first = _backend_pid(engine)
        assert [_backend_pid(engine) for _ in range(3)] == [first] * 3
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced(monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    url = TestServers().customers_database_url
    engine = db.make_engine(url, pool_size=1)
    admin = db.make_engine(url, pool_size=1, pre_ping=False)
    pings = _counting_pings(engine, monkeypatch)
    try:
        dropped = _backend_pid(engine)
        with admin.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar()
        replacement = _backend_pid(engine)  # no error: the ping found it dead, the pool reconnected
        assert replacement != dropped
        assert pings
    finally:
        engine.dispose()
        admin.dispose()
