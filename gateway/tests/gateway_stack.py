"""Fixtures of the integration suite: the gateway's real test database (panorama_test_gateway)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gateway.db import create_sessions, migrate
from kernel.testing import TestServers
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture(scope="session")
def servers() -> TestServers:
    return TestServers()


@pytest.fixture(scope="session")
def gateway_engine(servers: TestServers) -> Iterator[Engine]:
    engine, _ = create_sessions(servers.gateway_database_url, pool_size=5)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "DROP TABLE IF EXISTS idempotency_keys, users, teams, login_failures, revoked_sessions,"
                    " outbox, alembic_version CASCADE"
                )
            )
    except Exception as exc:  # the servers are part of the suite: fail loudly, never skip
        pytest.fail(f"PostgreSQL test database unreachable ({exc}); run deploy/local/up.sh")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def gateway_sessions(gateway_engine: Engine) -> sessionmaker[Session]:
    with gateway_engine.begin() as conn:
        conn.execute(
            text("TRUNCATE idempotency_keys, users, teams, login_failures, revoked_sessions, outbox CASCADE")
        )
    from kernel.db import make_sessionmaker

    return make_sessionmaker(gateway_engine)
