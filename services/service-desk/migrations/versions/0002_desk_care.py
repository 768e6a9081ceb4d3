"""service desk: surveys carry a version (their survey.created / survey.answered events)

Revision ID: 0002_desk_care
Revises: 0001
Create Date: 2026-12-02 09:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_desk_care"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("surveys", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("surveys", "version")
