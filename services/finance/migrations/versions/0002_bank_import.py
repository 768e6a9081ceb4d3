"""finance: bank import resumable (status, problems), receivables found by order number

Revision ID: 0002_bank_import
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_bank_import"
down_revision = "0002_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "bank_imports", sa.Column("status", sa.String(length=20), server_default="complete", nullable=False)
    )
    op.add_column(
        "bank_imports",
        sa.Column("problems", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("bank_imports", sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_receivables_order_number", "receivables", ["order_number"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_receivables_order_number", table_name="receivables")
    op.drop_column("bank_imports", "completed_at")
    op.drop_column("bank_imports", "problems")
    op.drop_column("bank_imports", "status")
