"""Logout revocation on the real PostgreSQL: a session logged out on one replica is refused on another."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from gateway.auth.directory import Directory
from gateway.auth.sql_sessions import SqlRevocationStore
from gateway.auth.sql_store import SqlUserStore
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD, FakeRpc, browser_login, csrf_of
from kernel.clock import utcnow
from sqlalchemy import text

pytestmark = pytest.mark.integration


def test_a_logout_on_one_replica_is_refused_by_the_other(servers, gateway_engine, gateway_sessions):
    Directory(SqlUserStore(gateway_sessions)).create_user(
        username="sales1", password=TEST_PASSWORD, roles=["sales"]
    )
    settings = GatewaySettings(
        environment="test",
        gateway_database_url=servers.gateway_database_url,
        migrate_on_start=False,
        session_revocation_cache_seconds=0,  # ask the database every time (no waiting in a test)
    )
    with (
        TestClient(create_app(settings, rpc=FakeRpc())) as one,
        TestClient(create_app(settings, rpc=FakeRpc())) as two,
    ):
        assert browser_login(one, "sales1").status_code == 303
        cookie = one.cookies.get("panorama_session")
        assert cookie
        two.cookies.set("panorama_session", cookie)  # the load balancer sends the browser elsewhere
        page = two.get("/", follow_redirects=False)
        assert page.status_code == 200
        token = csrf_of(page.text)
        assert one.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert two.get("/", follow_redirects=False).status_code == 303
        refused = two.post("/customers", data={"csrf_token": token, "name": "x"}, follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


def test_revocations_expire_and_are_swept(gateway_sessions, gateway_engine):
    store = SqlRevocationStore(gateway_sessions)
    store.revoke("old", utcnow() - timedelta(seconds=1))
    store.revoke("live", utcnow() + timedelta(minutes=30))
    assert store.is_revoked("live") and not store.is_revoked("old") and not store.is_revoked("never")
    store.revoke("live", utcnow() + timedelta(minutes=31))  # revoking twice is fine
    with gateway_engine.connect() as conn:
        ids = set(conn.execute(text("SELECT session_id FROM revoked_sessions")).scalars())
    assert ids == {"live"}  # the expired one was swept by the later revoke
