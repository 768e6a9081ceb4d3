"""Issue 8 §2.7: parallel wrong passwords must not all be verified before the throttle counts them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from gateway_fakes import CountingVerifier


@pytest.fixture
def verifier(monkeypatch: pytest.MonkeyPatch) -> CountingVerifier:
    return CountingVerifier.install(monkeypatch)


def test_forty_parallel_wrong_passwords_verify_at_most_the_limit(client, app, sales1, verifier):
    limit = app.state.settings.login_max_failures
    start = threading.Barrier(40)

    def attempt(_: int) -> int:
        start.wait()
        return client.post(
            "/api/v1/auth/token", data={"username": "sales1", "password": "wrong password"}
        ).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))

    assert verifier.count <= limit
    assert statuses.count(401) == verifier.count
    assert statuses.count(429) == 40 - verifier.count
