"""Test doubles for the gateway's unit tests: an in-memory user store and a fake RPC client that
answers with each installed service package's fake (``gateway/gateway/services/<svc>/fake.py``)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gateway.auth.records import TeamRecord, UserRecord
from gateway.auth.store import DuplicateName
from gateway.rpc_errors import RpcTimeout, ServiceUnavailable
from gateway.services.customers.fake import FakeCustomersService
from gateway.services.installed import INSTALLED
from gateway.services.search.fake import FakeSearchService
from kernel.clock import utcnow

TEST_PASSWORD = "correct horse battery"


class MemoryUserStore:
    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.teams: dict[str, TeamRecord] = {}
        self.healthy = True

    def ping(self) -> bool:
        if not self.healthy:
            raise RuntimeError("database down")
        return True

    def get_user(self, user_id: str) -> UserRecord | None:
        return self.users.get(user_id)

    def get_user_by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def list_users(self) -> list[UserRecord]:
        return sorted(self.users.values(), key=lambda u: u.username)

    def insert_user(self, user: UserRecord, actor_id: str | None = None) -> UserRecord:
        if self.get_user_by_username(user.username):
            raise DuplicateName(user.username)
        self.users[user.id] = user
        return user

    def update_user(
        self, user_id: str, changes: dict[str, Any], actor_id: str | None = None
    ) -> UserRecord | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        fields: dict[str, Any] = {k: tuple(v) if k == "roles" else v for k, v in changes.items()}
        updated = replace(user, **fields, version=user.version + 1, updated_at=utcnow())
        self.users[user_id] = updated
        return updated

    def get_team(self, team_id: str) -> TeamRecord | None:
        return self.teams.get(team_id)

    def get_team_by_name(self, name: str) -> TeamRecord | None:
        return next((t for t in self.teams.values() if t.name == name), None)

    def list_teams(self) -> list[TeamRecord]:
        return sorted(self.teams.values(), key=lambda t: t.name)

    def insert_team(self, team: TeamRecord) -> TeamRecord:
        if self.get_team_by_name(team.name):
            raise DuplicateName(team.name)
        self.teams[team.id] = team
        return team


class FakeRpc:
    """Implements gateway.rpc.RpcClient in memory. ``down`` services answer 503, ``slow`` ones 504."""

    def __init__(self) -> None:
        # Every installed service package's fake, by service name (later ones may use earlier ones).
        self.services: dict[str, Any] = {}
        for module in INSTALLED:
            path, _, name = module.fake.partition(":")
            fake_class = getattr(importlib.import_module(path), name)
            accepted = inspect.signature(fake_class).parameters
            self.services[module.name] = fake_class(
                **{k: v for k, v in self.services.items() if k in accepted}
            )
        self.customers: FakeCustomersService = self.services["customers"]
        self.search: FakeSearchService = self.services["search"]
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down: set[str] = set()
        self.slow: set[str] = set()
        self.failures: dict[tuple[str, str], Exception] = {}
        self.connected = True

    async def call(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        kwargs = kwargs or {}
        self.calls.append((service, method, kwargs))
        await asyncio.sleep(0)
        if service in self.down or service not in self.services:
            raise ServiceUnavailable(service, method)
        if service in self.slow:
            raise RpcTimeout(service, method, timeout or 10.0)
        failure = self.failures.get((service, method))
        if failure is not None:
            raise failure
        # Round-trip through JSON like the wire does, so nothing non-serialisable slips through.
        import json

        result = self.services[service].dispatch(method, json.loads(json.dumps(kwargs)))
        return json.loads(json.dumps(result))

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        return service in self.services and service not in self.down and service not in self.slow

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for _, m, kwargs in self.calls if m == method]


# --- the web UI as a browser uses it (forms with CSRF tokens) ---


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def browser_login(client, username: str, password: str = TEST_PASSWORD, next_path: str = "/"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


class CountingVerifier:
    """Stands in for the password check: counts verifications and holds each one open a moment, so
    parallel attempts overlap the way concurrent requests do in production (not a timing assertion)."""

    def __init__(self, real: Callable[[str | None, str], bool]) -> None:
        self.real = real
        self.count = 0
        self._lock = threading.Lock()

    @classmethod
    def install(cls, monkeypatch: Any) -> CountingVerifier:
        from gateway.auth import directory

        counting = cls(directory.verify_password)
        monkeypatch.setattr(directory, "verify_password", counting)
        return counting

    def __call__(self, stored_hash: str | None, password: str) -> bool:
        with self._lock:
            self.count += 1
        time.sleep(0.05)
        return self.real(stored_hash, password)
