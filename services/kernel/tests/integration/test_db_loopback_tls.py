"""No TLS to a PostgreSQL on the same host unless the URL asks for it: encrypting loopback round
trips protects nothing and cost CPU at both ends of every statement."""

from __future__ import annotations

import pytest
from kernel import db
from kernel.testing import TestServers
from sqlalchemy import text
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration


def test_a_loopback_connection_is_not_encrypted():
    url = TestServers().customers_database_url
    assert make_url(url).host in db.LOOPBACK_HOSTS  # what the suite's servers are
    engine = db.make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            ssl = conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar()
        assert ssl is False
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://u:p@127.0.0.1:5432/d", {"sslmode": "disable"}),
        ("postgresql+psycopg2://u:p@localhost/d", {"sslmode": "disable"}),
        ("postgresql+psycopg2://u:p@127.0.0.1:5432/d?sslmode=require", {}),  # the URL's choice wins
        ("postgresql+psycopg2://u:p@db.internal:5432/d", {}),  # another host: libpq's default
    ],
)
def test_tls_is_left_out_only_on_loopback_and_only_when_the_url_is_silent(url, expected):
    assert db.driver_arguments(url) == expected
