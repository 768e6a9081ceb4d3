"""alembic environment: the URL comes from GatewaySettings (PANORAMA_GATEWAY_DATABASE_URL).

``gateway.db.migrate`` passes an open connection (holding an advisory lock) in
``config.attributes["connection"]``; the alembic CLI gets a fresh engine.
"""

from alembic import context
from gateway.auth.models import Base
from gateway.settings import GatewaySettings
from sqlalchemy import create_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.attributes.get("database_url") or GatewaySettings().gateway_database_url
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=GatewaySettings().gateway_database_url, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
