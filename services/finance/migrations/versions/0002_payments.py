"""finance payments: a mistaken payment can be voided (its allocations undone, kept for audit)

Revision ID: 0002_payments
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_payments"
down_revision = "0002_collections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("payments", sa.Column("voided_by", sa.String(length=64), nullable=True))
    op.add_column("payments", sa.Column("void_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("payments", "void_reason")
    op.drop_column("payments", "voided_by")
    op.drop_column("payments", "voided_at")
