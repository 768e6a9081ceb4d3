"""Shared fixtures: an app wired to fakes (unit) - no servers needed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

# pytest names this module by its path from the rootdir and does not put its folder on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway.api.deps import get_rpc
from gateway.auth import passwords
from gateway.auth.records import UserRecord
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD, FakeRpc, MemoryUserStore


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2id at production cost takes ~50 ms per hash; the tests hash hundreds of times.
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(
        environment="test",
        migrate_on_start=False,
        max_body_bytes=64 * 1024,
        ready_services=["customers", "search"],
    )


@pytest.fixture
def store() -> MemoryUserStore:
    return MemoryUserStore()


@pytest.fixture
def rpc() -> FakeRpc:
    return FakeRpc()


@pytest.fixture
def app(settings: GatewaySettings, rpc: FakeRpc, store: MemoryUserStore) -> Any:
    application = create_app(settings, rpc=rpc, store=store)
    # The routes take the RPC client through this dependency; override it like any consumer would
    # (with the app's own wrapper around the fake, which reports each call's outcome to the
    # service health behind the "service unavailable" banner).
    application.dependency_overrides[get_rpc] = lambda: application.state.rpc
    return application


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_user(app: Any, rpc: FakeRpc) -> Callable[..., UserRecord]:
    def make(username: str, roles: list[str], team: str | None = None, **kwargs: Any) -> UserRecord:
        directory = app.state.directory
        team_id = directory.ensure_team(team)[0].id if team else None
        user = directory.create_user(
            username=username, password=TEST_PASSWORD, roles=roles, team_id=team_id, **kwargs
        )
        rpc.customers.directory[user.id] = user.replica()
        return user

    return make


@pytest.fixture
def token_for(app: Any) -> Callable[[UserRecord], dict[str, str]]:
    def headers(user: UserRecord) -> dict[str, str]:
        return {"Authorization": f"Bearer {app.state.tokens.issue(user.id)}"}

    return headers


@pytest.fixture
def admin(make_user: Callable[..., UserRecord]) -> UserRecord:
    return make_user("admin", ["admin"])


@pytest.fixture
def sales1(make_user: Callable[..., UserRecord]) -> UserRecord:
    return make_user("sales1", ["sales"], team="华东销售一组", display_name="销售一")


@pytest.fixture
def sales2(make_user: Callable[..., UserRecord]) -> UserRecord:
    return make_user("sales2", ["sales"], team="华南销售二组", display_name="销售二")


@pytest.fixture
def manager(make_user: Callable[..., UserRecord]) -> UserRecord:
    return make_user("manager", ["manager"], team="华东销售一组", display_name="经理")


@pytest.fixture
def finance(make_user: Callable[..., UserRecord]) -> UserRecord:
    return make_user("finance", ["finance"])
