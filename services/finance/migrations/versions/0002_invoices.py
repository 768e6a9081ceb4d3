"""finance invoices and write-offs: write-offs carry their receivable's ownership; one open
write-off request per receivable; invoice amount and numbering checks

Revision ID: 0002_invoices
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_invoices"
down_revision = "0002_receivables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("write_offs", sa.Column("currency", sa.String(length=3), nullable=False))
    op.add_column("write_offs", sa.Column("customer_name", sa.String(length=200), nullable=False))
    op.add_column("write_offs", sa.Column("customer_owner_id", sa.String(length=64), nullable=True))
    op.add_column("write_offs", sa.Column("owner_id", sa.String(length=64), nullable=True))
    op.add_column("write_offs", sa.Column("team_id", sa.String(length=64), nullable=True))
    op.add_column("write_offs", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index(
        op.f("ix_write_offs_customer_owner_id"), "write_offs", ["customer_owner_id"], unique=False
    )
    op.create_index(op.f("ix_write_offs_owner_id"), "write_offs", ["owner_id"], unique=False)
    op.create_index(op.f("ix_write_offs_team_id"), "write_offs", ["team_id"], unique=False)
    op.create_index(
        "uq_write_offs_open_receivable",
        "write_offs",
        ["receivable_id"],
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
    )
    op.create_check_constraint(
        "amounts",
        "invoices",
        "amount_minor > 0 AND tax_minor >= 0 AND tax_minor <= amount_minor",
    )
    op.create_check_constraint(
        "numbered_once_issued", "invoices", "status IN ('draft', 'void') OR number IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_constraint("numbered_once_issued", "invoices", type_="check")
    op.drop_constraint("amounts", "invoices", type_="check")
    op.drop_index("uq_write_offs_open_receivable", table_name="write_offs")
    op.drop_index(op.f("ix_write_offs_team_id"), table_name="write_offs")
    op.drop_index(op.f("ix_write_offs_owner_id"), table_name="write_offs")
    op.drop_index(op.f("ix_write_offs_customer_owner_id"), table_name="write_offs")
    for column in ("updated_at", "team_id", "owner_id", "customer_owner_id", "customer_name", "currency"):
        op.drop_column("write_offs", column)
