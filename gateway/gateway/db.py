"""The gateway's own database: engine, sessions and schema migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from kernel.db import make_engine, make_sessionmaker
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# Arbitrary constant: several gateways starting together must not migrate concurrently.
_MIGRATION_LOCK_KEY = 0x70616E6F  # "pano"


def create_sessions(url: str, pool_size: int = 10) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(url, pool_size=pool_size)
    return engine, make_sessionmaker(engine)


def migrate(engine: Engine) -> None:
    """``alembic upgrade head`` under a PostgreSQL advisory lock."""
    config = Config(str(ALEMBIC_INI))
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            connection.commit()
