"""leads: the customer's name on a converted lead, assignment history (daily caps), follow-up notes

Revision ID: 0002_leads
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_leads"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("customer_name", sa.String(length=200), nullable=True))
    op.create_table(
        "lead_assignments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lead_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=64), nullable=True),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_assignments_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_assignments")),
    )
    op.create_index(op.f("ix_lead_assignments_lead_id"), "lead_assignments", ["lead_id"], unique=False)
    op.create_index("ix_lead_assignments_user_at", "lead_assignments", ["user_id", "at"], unique=False)
    op.create_table(
        "lead_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lead_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_notes_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_notes")),
    )
    op.create_index(op.f("ix_lead_notes_lead_id"), "lead_notes", ["lead_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lead_notes_lead_id"), table_name="lead_notes")
    op.drop_table("lead_notes")
    op.drop_index("ix_lead_assignments_user_at", table_name="lead_assignments")
    op.drop_index(op.f("ix_lead_assignments_lead_id"), table_name="lead_assignments")
    op.drop_table("lead_assignments")
    op.drop_column("leads", "customer_name")
