"""The body of every alembic ``env.py`` (the kernel's shared one, and the gateway's).

Runs the revisions on an open connection handed in through ``config.attributes["connection"]``
(a caller holding an advisory lock), else on a fresh engine of ``database_url``; offline mode
renders SQL for that URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine


def run_env(target_metadata: MetaData, database_url: str) -> None:
    if context.is_offline_mode():
        context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url)
    with engine.connect() as opened:
        context.configure(connection=opened, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
