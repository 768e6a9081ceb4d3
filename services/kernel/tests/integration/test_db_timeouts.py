"""RPC workers' sessions give up on a stuck statement before the gateway gives up on them."""

import pytest
from kernel.db import make_engine, make_sessionmaker, transaction
from kernel.testing import TestServers
from sqlalchemy import text
from sqlalchemy.exc import OperationalError


def test_statement_and_lock_timeouts_apply_to_every_session():
    engine = make_engine(
        TestServers().customers_database_url, pool_size=1, statement_timeout_ms=300, lock_timeout_ms=200
    )
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(2):  # the second session reuses the pooled connection after a rollback
            with (
                pytest.raises(OperationalError, match="statement timeout"),
                transaction(sessions) as session,
            ):
                session.execute(text("SELECT pg_sleep(2)"))
        with transaction(sessions) as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "300ms"
            assert session.execute(text("SHOW lock_timeout")).scalar() == "200ms"
    finally:
        engine.dispose()


def test_only_an_engine_asked_for_it_commits_without_waiting_for_the_disk():
    url = TestServers().customers_database_url
    for durable, expected in ((True, "on"), (False, "off")):
        engine = make_engine(url, pool_size=1, durable_commits=durable)
        try:
            with transaction(make_sessionmaker(engine)) as session:
                assert session.execute(text("SHOW synchronous_commit")).scalar() == expected
        finally:
            engine.dispose()
