"""Helpers for the test suites: where the test servers are, and waiting for eventual results.

Integration tests run against the real servers started by deploy/local/up.sh, on their own
databases and their own RabbitMQ virtual host, so a running `make run` stack is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel import registry
from kernel.settings import dev_database_url

T = TypeVar("T")


class _Servers(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANORAMA_TEST_", extra="ignore")
    __test__ = False  # not a pytest test class

    rabbitmq_url: str = "amqp://panorama:panorama@127.0.0.1:5672/panorama_test"
    elasticsearch_url: str = "http://127.0.0.1:9200"

    def database_url(self, owner: str) -> str:
        """Test database of a registered service (or ``"gateway"``)."""
        return str(getattr(self, f"{owner}_database_url"))


# One ``<name>_database_url`` field (PANORAMA_TEST_<NAME>_DATABASE_URL) per registry entry with a
# database, e.g. ``TestServers().customers_database_url``.
_DATABASE_FIELDS: dict[str, Any] = {
    f"{owner.name}_database_url": (str, dev_database_url(owner.test_database("test") or ""))
    for owner in registry.database_owners()
}
# Typed Any: the fields are only known at run time (type checkers accept any attribute).
_ServersWithDatabases: Any = create_model("_ServersWithDatabases", __base__=_Servers, **_DATABASE_FIELDS)


class TestServers(_ServersWithDatabases):
    """Where the test servers are: ``rabbitmq_url``, ``elasticsearch_url``, ``<name>_database_url``."""

    __test__ = False


def eventually(check: Callable[[], T | None], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail with the last error otherwise."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except AssertionError as exc:
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s") from last_error
        time.sleep(interval)


def migrated_engine(service: str, database_url: str, *, pool_size: int = 5) -> Any:
    """A service's test database, emptied and migrated to head (the servers are part of the
    suite: an unreachable one fails the test loudly, never skips it)."""
    import pytest
    from sqlalchemy import text

    from kernel.db import make_engine
    from kernel.migrate import upgrade

    engine = make_engine(database_url, pool_size=pool_size)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL test database unreachable ({exc}); run deploy/local/up.sh")
    upgrade(service, database_url)
    return engine


def truncate_tables(engine: Any, *, keep: frozenset[str] = frozenset()) -> None:
    """Empty every table but ``keep`` (and alembic's), for a test starting from a clean slate."""
    from sqlalchemy import text

    with engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        names = ", ".join(sorted(t for t in tables if t not in keep | {"alembic_version"}))
        conn.execute(text(f"TRUNCATE {names}"))


@contextmanager
def captured_statements(engine: Any) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` sends while open, whitespace-collapsed: for tests that count
    round trips."""
    from sqlalchemy import event

    sent: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)


@contextmanager
def running_service(name: str, rabbitmq_url: str, env: Mapping[str, str]) -> Iterator[None]:
    """``python -m kernel.run <name> service`` on the test servers until the block ends: started,
    answering ``ping`` over RPC, then terminated (killed if it hangs). ``env``: its database URLs."""
    import os
    import subprocess
    import sys

    import pytest
    from nameko.standalone.rpc import ClusterRpcProxy

    environment = {**os.environ, "PANORAMA_RABBITMQ_URL": rabbitmq_url, "PANORAMA_LOG_JSON": "false", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kernel.run", name, "service"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with ClusterRpcProxy({"AMQP_URI": rabbitmq_url}, timeout=10) as proxy:
            deadline = time.monotonic() + 40
            while True:
                try:
                    assert getattr(proxy, name).ping() == "pong"
                    break
                except Exception:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = proc.stderr.read().decode() if proc.stderr else ""
                        pytest.fail(f"{name} service did not start:\n{err[-3000:]}")
                    time.sleep(0.3)
            yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def publish_event(channel: Any, exchange: str, event: Any) -> None:
    """What a service's outbox relay does with an outbox row (``event``: a kernel Envelope)."""
    import pika

    channel.basic_publish(
        exchange,
        event.type,
        event.to_json().encode(),
        pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", delivery_mode=2, message_id=event.id
        ),
        mandatory=True,
    )
