"""alembic environment: the URL comes from CustomersSettings (PANORAMA_CUSTOMERS_DATABASE_URL)."""

from alembic import context
from customers.settings import CustomersSettings
from customers.storage.models import Base
from sqlalchemy import create_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.attributes.get("database_url") or CustomersSettings().database_url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=CustomersSettings().database_url, target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
