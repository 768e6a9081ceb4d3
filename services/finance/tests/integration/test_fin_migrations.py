"""The revisions (kernel tables from kernel.migration_ops) build exactly the models' metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from finance.storage.models import Base
from sqlalchemy import text
from sqlalchemy.engine import Engine


def test_migrated_schema_matches_the_metadata(finance_engine: Engine) -> None:
    with finance_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        # The relay wakes on the outbox trigger, which the metadata does not describe.
        trigger = conn.execute(
            text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'outbox'::regclass AND NOT tgisinternal")
        )
        assert trigger.scalars().all() == ["outbox_notify"]
