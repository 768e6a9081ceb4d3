"""finance: collections (aging index, the currency of a customer's overdue amount)

Revision ID: 0002_collections
Revises: 0001
Create Date: 2026-12-02 09:40:00

The overdue timer looks up, per announced bucket, the instalments whose due date passed into the
next one (``ix_receivables_overdue_next``). The aging report and the collections forecast group
unsettled instalments by team / owner / customer and currency; the covering partial index
``ix_receivables_aging`` lets PostgreSQL answer them from the index alone. The predicates are
frozen here as text and equal the queries' ``status IN (...)``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_collections"
down_revision = "0002_invoices"
branch_labels = None
depends_on = None

UNSETTLED = "status IN ('open', 'partially_paid')"


def upgrade() -> None:
    op.add_column("customer_risk", sa.Column("currency", sa.String(length=3), nullable=True))
    op.create_index(
        "ix_receivables_aging",
        "receivables",
        ["team_id", "owner_id", "currency", "due_date"],
        postgresql_include=[
            "customer_id",
            "customer_owner_id",
            "amount_minor",
            "paid_minor",
            "written_off_minor",
        ],
        postgresql_where=sa.text(UNSETTLED),
    )
    op.create_index(
        "ix_receivables_overdue_next",
        "receivables",
        ["overdue_bucket", "due_date"],
        postgresql_where=sa.text(UNSETTLED),
    )


def downgrade() -> None:
    op.drop_index("ix_receivables_overdue_next", table_name="receivables")
    op.drop_index("ix_receivables_aging", table_name="receivables")
    op.drop_column("customer_risk", "currency")
