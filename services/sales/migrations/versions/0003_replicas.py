"""customer_refs.name_folded: the sales replica becomes the kernel's (kernel.replicas)

Revision ID: 0003_replicas
Revises: 0002_analytics
"""

import sqlalchemy as sa
from alembic import op
from kernel.replicas import folded_company_name

revision = "0003_replicas"
down_revision = "0002_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer_refs", sa.Column("name_folded", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM customer_refs")).all()
    for row in rows:
        conn.execute(
            sa.text("UPDATE customer_refs SET name_folded = :folded WHERE id = :id"),
            {"folded": folded_company_name(row.name), "id": row.id},
        )
    op.alter_column("customer_refs", "name_folded", nullable=False)
    op.create_index(op.f("ix_customer_refs_name_folded"), "customer_refs", ["name_folded"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_refs_name_folded"), table_name="customer_refs")
    op.drop_column("customer_refs", "name_folded")
