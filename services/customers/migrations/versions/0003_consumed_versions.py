"""consumed_versions: the newest version applied per aggregate by this service's event handlers

Revision ID: 0003_consumed_versions
Revises: 0002_customers_fk
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_consumed_versions"
down_revision = "0002_customers_fk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Mirrors kernel.consumer.consumed_versions_table.
    op.create_table(
        "consumed_versions",
        sa.Column("aggregate_type", sa.String(length=50), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("aggregate_type", "aggregate_id", name="pk_consumed_versions"),
    )


def downgrade() -> None:
    op.drop_table("consumed_versions")
