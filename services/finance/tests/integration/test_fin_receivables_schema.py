"""The finance migrations (with 0002_receivables) build exactly the tables the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from finance.storage.models import Base
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.integration


def test_the_migrated_schema_matches_the_models(finance_engine: Engine) -> None:
    with finance_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
