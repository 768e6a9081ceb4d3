"""sales deals: one open contract per quote version; cancellation reasons and time

Revision ID: 0002_deals
Revises: 0002_leads
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_deals"
down_revision = "0002_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contracts", sa.Column("cancel_reason", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("cancel_reason", sa.Text(), nullable=True))
    # Rejected and cancelled contracts free their quote version for a new contract.
    op.create_index(
        "uq_contracts_open_quote_version",
        "contracts",
        ["quote_id", "quote_version"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending_review', 'signed', 'archived')"),
    )


def downgrade() -> None:
    op.drop_index("uq_contracts_open_quote_version", table_name="contracts")
    op.drop_column("orders", "cancel_reason")
    op.drop_column("orders", "cancelled_at")
    op.drop_column("contracts", "cancel_reason")
