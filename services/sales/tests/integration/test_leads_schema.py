"""The sales migrations (with 0002_leads) build exactly the tables the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sales.storage.models import Base

pytestmark = pytest.mark.integration


def test_the_migrated_schema_matches_the_models(sales_engine):
    with sales_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
