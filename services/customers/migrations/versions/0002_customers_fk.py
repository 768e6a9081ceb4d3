"""follow-ups' contact: no ON DELETE action (the service clears it and publishes the change)

Revision ID: 0002_customers_fk
Revises: 0001
Create Date: 2026-12-02 03:10:00
"""

from alembic import op

revision = "0002_customers_fk"
down_revision = "0001"
branch_labels = None
depends_on = None

FK = "fk_follow_ups_contact_id_contacts"


def upgrade() -> None:
    # ON DELETE SET NULL changed follow-ups with no event and no audit line: search kept showing
    # the deleted contact on them. Now a contact still cited by a follow-up cannot be deleted
    # behind the service's back; the service clears the citation through its emit path first.
    op.drop_constraint(FK, "follow_ups", type_="foreignkey")
    op.create_foreign_key(FK, "follow_ups", "contacts", ["contact_id"], ["id"])


def downgrade() -> None:
    op.drop_constraint(FK, "follow_ups", type_="foreignkey")
    op.create_foreign_key(FK, "follow_ups", "contacts", ["contact_id"], ["id"], ondelete="SET NULL")
