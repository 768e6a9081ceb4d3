"""consumed_versions: the newest version applied per aggregate by this service's event handlers

Revision ID: 0003_consumed_versions
Revises: 0002_customers_fk
Create Date: 2026-12-02
"""

from kernel.db import NAMING_CONVENTION
from kernel.migration_ops import create_consumed_versions, drop_consumed_versions

revision = "0003_consumed_versions"
down_revision = "0002_customers_fk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_consumed_versions(NAMING_CONVENTION)


def downgrade() -> None:
    drop_consumed_versions(NAMING_CONVENTION)
