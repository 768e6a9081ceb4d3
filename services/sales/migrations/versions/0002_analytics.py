"""sales: indexes of the funnel analytics

Revision ID: 0002_analytics
Revises: 0002_deals
Create Date: 2026-12-02 06:00:00

The predicates are frozen here as text (a revision must not change when the code does); they
equal ``sales.storage.funnel_sql`` today, and a test checks the database's index against it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_analytics"
down_revision = "0002_deals"
branch_labels = None
depends_on = None

_POSITION = (
    "CASE {0} WHEN 'qualification' THEN 0 WHEN 'demo' THEN 1 WHEN 'proposal' THEN 2"
    " WHEN 'trial' THEN 3 WHEN 'negotiation' THEN 4 WHEN 'won' THEN 5 END"
)
REGRESSIVE = f"(to_stage = 'lost' OR {_POSITION.format('to_stage')} < {_POSITION.format('from_stage')})"
OPEN = "stage IN ('qualification', 'demo', 'proposal', 'trial', 'negotiation')"


def upgrade() -> None:
    op.create_index("ix_opportunities_customer_owner_id", "opportunities", ["customer_owner_id"])
    op.create_index(
        "ix_opportunities_closed",
        "opportunities",
        ["closed_at"],
        postgresql_where=sa.text("closed_at IS NOT NULL"),
    )
    op.create_index(
        "ix_opportunities_open_expected",
        "opportunities",
        ["expected_close_date"],
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_stage_changes_regressive",
        "opportunity_stage_changes",
        ["opportunity_id", "from_stage"],
        postgresql_where=sa.text(REGRESSIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_stage_changes_regressive", table_name="opportunity_stage_changes")
    op.drop_index("ix_opportunities_open_expected", table_name="opportunities")
    op.drop_index("ix_opportunities_closed", table_name="opportunities")
    op.drop_index("ix_opportunities_customer_owner_id", table_name="opportunities")
