"""identity outbox: user changes leave as user.upserted events on identity.events

Revision ID: 0004_identity_outbox
Revises: 0003_login_throttle
Create Date: 2026-12-02
"""

from alembic import op
from kernel.migration_ops import create_outbox, drop_outbox

revision = "0004_identity_outbox"
down_revision = "0003_login_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox()
    # Users created before this revision get their current state published once, so services
    # that build their replica from identity.events alone start complete.
    op.execute(
        """
        INSERT INTO outbox (event_id, exchange, routing_key, body)
        SELECT e.event_id, 'identity.events', 'user.upserted',
               json_build_object(
                 'id', e.event_id, 'type', 'user.upserted', 'source', 'identity',
                 'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 'aggregate', json_build_object('type', 'user', 'id', u.id, 'version', u.version),
                 'customer_id', NULL, 'actor', json_build_object('user_id', 'system'),
                 'correlation_id', NULL,
                 'data', json_build_object(
                   'id', u.id, 'username', u.username, 'display_name', u.display_name,
                   'team_id', u.team_id, 'roles', to_json(u.roles), 'active', u.active,
                   'version', u.version))::text
        FROM users u CROSS JOIN LATERAL (SELECT gen_random_uuid()::text AS event_id) e
        ORDER BY u.username
        """
    )


def downgrade() -> None:
    drop_outbox()
