"""SQLAlchemy engine and unit-of-work helpers (framework-free)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

# Constraint and index names of a service's metadata; its revisions (kernel.migration_ops) name
# the kernel's tables the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A pooled connection used this recently is taken as alive without a ping. A server restart drops
# the idle connections first; one in steady use fails its next statement (the error reaches the
# caller, and SQLAlchemy invalidates the pool, so the next checkouts reconnect).
PING_AFTER_IDLE_SECONDS = 2.0
_RETURNED_AT = "panorama_returned_at"

# TLS to a server on the same host protects nothing (who can read loopback traffic can read the
# server's memory), yet libpq's default (sslmode=prefer) negotiates it whenever the server offers
# it, and then encrypts every round trip at both ends: ~0.15 ms of a create's CPU in the service
# and as much in PostgreSQL. An ``sslmode`` in the URL always wins.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

# Execution option: ``kernel.uow.write_combined`` runs its statements as server-side prepared
# statements (PREPARE once per connection, then EXECUTE). Off for a pooler that hands one client
# several server sessions (PgBouncer in transaction mode), where a session's statements vanish.
PREPARED_WRITES = "panorama_prepared_writes"


def driver_arguments(url: str) -> dict[str, Any]:
    """Connect arguments ``make_engine`` adds to what the URL says."""
    parsed = make_url(url)
    if parsed.host in LOOPBACK_HOSTS and "sslmode" not in parsed.query:
        return {"sslmode": "disable"}
    return {}


def make_engine(
    url: str,
    pool_size: int = 10,
    *,
    pre_ping: bool = True,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    prepared_writes: bool = True,
    durable_commits: bool = True,
) -> Engine:
    """``pre_ping`` turns a connection the server dropped into a fresh one instead of a failed
    request; a loop that retries on its own (the outbox relay) can skip it. Only a connection idle
    for ``PING_AFTER_IDLE_SECONDS`` is pinged: a round trip per checkout was an eighth of a
    create's database round trips, spent on connections used a millisecond before.
    The timeouts bound every statement of the engine's sessions (RPC workers: below the caller's
    deadline, so a write the caller gave up on is rolled back rather than committed late).
    ``prepared_writes``: see ``PREPARED_WRITES``. ``durable_commits=False`` lets a commit return
    before its WAL reaches the disk (``synchronous_commit = off``): only for writes a crash may
    undo harmlessly (the relay's "published" marks: the events go out again and consumers drop
    the duplicates), never for what a caller is told has been saved."""
    if not url.startswith("postgresql"):
        # SQLite locks under concurrent nameko workers (DESIGN.md §8): refuse instead of stalling.
        raise ValueError("Panorama needs a PostgreSQL database URL (postgresql+psycopg2://...)")
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, future=True, connect_args=driver_arguments(url)
    )
    engine.update_execution_options(**{PREPARED_WRITES: prepared_writes})
    if pre_ping:
        _ping_idle_connections(engine)
    settings = {"statement_timeout": statement_timeout_ms, "lock_timeout": lock_timeout_ms}
    chosen: dict[str, int | str] = {name: int(value) for name, value in settings.items() if value}
    if not durable_commits:
        chosen["synchronous_commit"] = "off"
    if chosen:

        @event.listens_for(engine, "connect")
        def _set_timeouts(dbapi_connection: Any, connection_record: Any) -> None:
            # Session-level settings, committed: the pool's rollback on return must not undo them.
            # (Not the ``options`` connect argument: it would replace options given in the URL.)
            with dbapi_connection.cursor() as cursor:
                for name, value in chosen.items():
                    cursor.execute(f"SET {name} = {value}")
            dbapi_connection.commit()

    return engine


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
        returned = connection_record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # fresh from connect, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)  # outside any transaction (autocommit)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise exc.DisconnectionError(str(error)) from error


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
