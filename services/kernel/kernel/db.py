"""SQLAlchemy engine and unit-of-work helpers (framework-free)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, pool_size: int = 10, *, pre_ping: bool = True) -> Engine:
    """``pre_ping`` (a round trip per checkout) turns a connection the server dropped into a fresh
    one instead of a failed request; a loop that retries on its own (the outbox relay) can skip it."""
    if not url.startswith("postgresql"):
        # SQLite locks under concurrent nameko workers (DESIGN.md §8): refuse instead of stalling.
        raise ValueError("Panorama needs a PostgreSQL database URL (postgresql+psycopg2://...)")
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping, future=True
    )


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
