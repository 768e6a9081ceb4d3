"""alembic environment: the URL comes from GatewaySettings (PANORAMA_GATEWAY_DATABASE_URL).

``gateway.db.migrate`` passes an open connection (holding an advisory lock) in
``config.attributes["connection"]``; the alembic CLI gets a fresh engine.
"""

from alembic import context
from gateway.auth.models import Base
from gateway.settings import GatewaySettings
from kernel.alembic_env import run_env

run_env(
    Base.metadata, context.config.attributes.get("database_url") or GatewaySettings().gateway_database_url
)
