"""SQLAlchemy engine and unit-of-work helpers (framework-free)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# Constraint and index names of a service's metadata; its revisions (kernel.migration_ops) name
# the kernel's tables the same way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_engine(
    url: str,
    pool_size: int = 10,
    *,
    pre_ping: bool = True,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
) -> Engine:
    """``pre_ping`` (a round trip per checkout) turns a connection the server dropped into a fresh
    one instead of a failed request; a loop that retries on its own (the outbox relay) can skip it.
    The timeouts bound every statement of the engine's sessions (RPC workers: below the caller's
    deadline, so a write the caller gave up on is rolled back rather than committed late)."""
    if not url.startswith("postgresql"):
        # SQLite locks under concurrent nameko workers (DESIGN.md §8): refuse instead of stalling.
        raise ValueError("Panorama needs a PostgreSQL database URL (postgresql+psycopg2://...)")
    engine = create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping, future=True
    )
    settings = {"statement_timeout": statement_timeout_ms, "lock_timeout": lock_timeout_ms}
    chosen = {name: int(value) for name, value in settings.items() if value}
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
