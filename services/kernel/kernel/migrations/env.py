"""The one alembic environment of every service (``python -m kernel.run <service> migrate``).

kernel.migrate hands in the service's metadata and database URL through ``config.attributes``;
each service keeps only its revisions, in ``services/<folder>/migrations/versions``.
"""

from alembic import context
from sqlalchemy import create_engine

config = context.config
target_metadata = config.attributes["target_metadata"]
database_url = config.attributes["database_url"]


def run_migrations_online() -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
