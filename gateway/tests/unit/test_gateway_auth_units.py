"""Login throttling, tokens, snippet sanitising, settings and the user replication loop."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pytest
from gateway.auth import tokens
from gateway.auth.directory import Directory
from gateway.auth.replication import UserReplicator
from gateway.auth.throttle import MemoryLoginThrottle, Throttled
from gateway.auth.tokens import InvalidToken, TokenIssuer
from gateway.settings import DEV_JWT_SECRET, GatewaySettings
from gateway.web.sanitize import safe_snippet
from gateway_fakes import TEST_PASSWORD, FakeRpc, MemoryUserStore
from kernel.identity import SYSTEM, Caller
from pydantic import ValidationError as SettingsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_counts_reserved_attempts_in_a_sliding_window():
    clock = Clock()
    throttle = MemoryLoginThrottle(
        max_failures_per_account=3, max_failures_per_address=10, window_seconds=60, clock=clock
    )
    for _ in range(3):
        throttle.reserve("u", "1.2.3.4")  # reserved = counted until it succeeds
        clock.now += 1
    with pytest.raises(Throttled) as refused:
        throttle.reserve("u", "1.2.3.4")
    assert refused.value.retry_after == 57  # now 1003; the first failure leaves the window at 1060
    throttle.reserve("other", "1.2.3.4")  # the address is under its own limit
    clock.now = 1061
    throttle.reserve("u", "1.2.3.4")


def test_success_clears_the_account_and_returns_only_its_own_attempt_to_the_address():
    throttle = MemoryLoginThrottle(max_failures_per_account=2, max_failures_per_address=3, window_seconds=60)
    throttle.reserve("other", "1.2.3.4")
    throttle.reserve("u", "1.2.3.4")
    throttle.succeeded(throttle.reserve("u", "1.2.3.4"))
    # "u" starts afresh, but the address keeps the failures against "other" and "u" (2 of 3)
    throttle.reserve("u", "1.2.3.4")
    with pytest.raises(Throttled):
        throttle.reserve("u2", "1.2.3.4")


def test_a_released_attempt_does_not_count():
    throttle = MemoryLoginThrottle(max_failures_per_account=1, max_failures_per_address=1, window_seconds=60)
    throttle.release(throttle.reserve("u", "1.2.3.4"))
    throttle.reserve("u", "1.2.3.4")
    with pytest.raises(Throttled):
        throttle.reserve("u", "1.2.3.4")


def test_throttle_memory_is_bounded():
    throttle = MemoryLoginThrottle(
        max_failures_per_account=3, max_failures_per_address=3, window_seconds=60, max_keys=100
    )
    for i in range(1000):
        throttle.reserve(f"user{i}", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle._failures) <= 102


def test_tokens_round_trip_and_reject_tampering():
    issuer = TokenIssuer("s" * 40, "panorama-gateway", 60)
    token = issuer.issue("user-1")
    assert issuer.verify(token).user_id == "user-1"
    with pytest.raises(InvalidToken):
        issuer.verify(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(InvalidToken):
        TokenIssuer("t" * 40, "panorama-gateway", 60).verify(token)
    with pytest.raises(InvalidToken):
        TokenIssuer("s" * 40, "someone-else", 60).verify(token)


def test_a_verified_token_is_remembered_until_it_expires(monkeypatch):
    issuer = TokenIssuer("s" * 40, "panorama-gateway", 60)
    token = issuer.issue("user-1")
    assert issuer.verify(token).user_id == "user-1"
    decoded: list[str] = []
    real_decode = jwt.decode

    def decode(*args: Any, **kwargs: Any) -> Any:
        decoded.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", decode)
    assert issuer.verify(token).user_id == "user-1"
    assert decoded == []  # the signature was checked once
    expiry = issuer.verify(token).expires_at.timestamp()
    clock = expiry + tokens.LEEWAY_SECONDS + 1
    monkeypatch.setattr(tokens.time, "time", lambda: clock)
    issuer.verify(token)  # past its expiry (by our clock): PyJWT checks it again
    assert decoded == ["decode"]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("A<em>科技</em>有限公司", "A<em>科技</em>有限公司"),
        ("<em onclick='x'>a</em>", "<em>a</em>"),
        ("<script>alert(1)</script>ok", "ok"),
        ("<img src=x onerror=alert(1)>text", "text"),
        ("&lt;b&gt; stays text", "&lt;b&gt; stays text"),
        ("<em>unclosed", "<em>unclosed</em>"),
        ("a & b < c", "a &amp; b &lt; c"),
        (None, ""),
    ],
)
def test_snippets_keep_only_bare_em(snippet, expected):
    assert str(safe_snippet(snippet)) == expected


def test_session_tokens_carry_their_session_id():
    issuer = TokenIssuer("s" * 40, "panorama-gateway", 60)
    assert issuer.verify(issuer.issue("user-1", session_id="sess-1")).session_id == "sess-1"
    assert issuer.verify(issuer.issue("user-1")).session_id is None  # API tokens have none
    forged = jwt.encode(
        {"sub": "user-1", "iss": "panorama-gateway", "iat": 1, "exp": 2**40, "sid": 7}, "s" * 40, "HS256"
    )
    with pytest.raises(InvalidToken):
        issuer.verify(forged)


def test_production_refuses_development_secrets(monkeypatch):
    with pytest.raises(SettingsError):
        GatewaySettings(environment="production", jwt_secret=DEV_JWT_SECRET, demo_password="a real one 123")
    with pytest.raises(SettingsError):
        GatewaySettings(environment="production", jwt_secret="x" * 40, demo_password="panorama")
    with pytest.raises(SettingsError):
        GatewaySettings(
            environment="production",
            jwt_secret="x" * 40,
            demo_password="a real one 123",
            rabbitmq_url="amqp://u:p@mq/%2F",
        )  # the database URL still carries the dev password
    with pytest.raises(SettingsError, match="IDENTITY_KEY"):
        GatewaySettings(
            environment="production",
            jwt_secret="x" * 40,
            demo_password="a real one 123",
            rabbitmq_url="amqp://u:p@mq/%2F",
            gateway_database_url="postgresql+psycopg2://gw:secret@db/gw",
        )
    ok = GatewaySettings(
        environment="production",
        identity_key="i" * 40,
        jwt_secret="x" * 40,
        demo_password="a real one 123",
        rabbitmq_url="amqp://u:p@mq/%2F",
        gateway_database_url="postgresql+psycopg2://gw:secret@db/gw",
        public_url="https://crm.example.com",
    )
    assert ok.is_production and ok.secure_cookies


def test_production_refuses_a_plain_http_public_url():
    real: dict[str, Any] = {
        "environment": "production",
        "jwt_secret": "x" * 40,
        "identity_key": "k" * 40,
        "demo_password": "a real one 123",
        "rabbitmq_url": "amqp://u:p@mq/%2F",
        "gateway_database_url": "postgresql+psycopg2://gw:secret@db/gw",
    }
    with pytest.raises(SettingsError, match="PANORAMA_PUBLIC_URL"):
        GatewaySettings(**real, public_url="http://crm.example.com")
    with pytest.raises(SettingsError, match="PANORAMA_PUBLIC_URL"):
        GatewaySettings(**real)  # the default is http
    assert GatewaySettings(environment="test").public_url.startswith("http://")  # fine outside production


def test_settings_read_panorama_variables(monkeypatch):
    monkeypatch.setenv("PANORAMA_GATEWAY_DATABASE_URL", "postgresql+psycopg2://a:b@h/db")
    monkeypatch.setenv("PANORAMA_PORT", "9001")
    monkeypatch.setenv("PANORAMA_DEMO_PASSWORD", "another demo")
    settings = GatewaySettings()
    assert settings.gateway_database_url.endswith("/db")
    assert settings.port == 9001 and settings.demo_password == "another demo"
    assert settings.token_ttl_seconds == 1800 and settings.rpc_timeout_seconds == 10


def test_replication_retries_until_customers_comes_back():
    rpc = FakeRpc()
    directory = Directory(MemoryUserStore())
    directory.create_user(username="u1", password=TEST_PASSWORD, roles=["sales"])
    rpc.down.add("customers")

    async def scenario() -> None:
        replicator = UserReplicator(rpc, directory, backoff_initial=0.01, backoff_max=0.02)
        replicator.start()
        await asyncio.sleep(0.1)
        assert not replicator.synced_once.is_set()
        rpc.down.clear()
        await asyncio.wait_for(replicator.synced_once.wait(), 2)
        await replicator.stop()

    asyncio.run(scenario())
    assert [u["username"] for u in rpc.customers.directory.values()] == ["u1"]
    assert Caller.from_payload(rpc.calls_to("upsert_user")[-1]["caller"]) == SYSTEM
