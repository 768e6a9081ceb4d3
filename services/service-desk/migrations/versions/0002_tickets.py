"""service desk: the ticket queue's indexes, complaint event versions

Revision ID: 0002_tickets
Revises: 0001
Create Date: 2026-12-02 09:40:00

The queue orders open tickets by the nearer unmet due time, paused last (the expression of
``service_desk.handlers.ticket_queue``); frozen here as text: a revision must not change when the
code does. One index serves the whole queue, one a member's own ("mine").
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'in_progress', 'waiting_on_customer')"
URGENCY = (
    "(CASE WHEN first_responded_at IS NULL THEN LEAST(first_response_due, resolution_due) "
    "ELSE resolution_due END)"
)


def upgrade() -> None:
    op.create_table(
        "complaint_counters",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_complaint_counters")),
    )
    op.execute(
        f"CREATE INDEX ix_tickets_queue ON tickets ((paused_at IS NOT NULL), {URGENCY}, id) WHERE {OPEN}"
    )
    op.execute(
        "CREATE INDEX ix_tickets_queue_assignee ON tickets "
        f"(assignee_id, (paused_at IS NOT NULL), {URGENCY}, id) WHERE {OPEN}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_queue_assignee")
    op.execute("DROP INDEX ix_tickets_queue")
    op.drop_table("complaint_counters")
