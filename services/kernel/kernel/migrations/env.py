"""The one alembic environment of every service (``python -m kernel.run <service> migrate``).

kernel.migrate hands in the service's metadata and database URL through ``config.attributes``;
each service keeps only its revisions, in ``services/<folder>/migrations/versions``.
"""

from alembic import context
from kernel.alembic_env import run_env

run_env(context.config.attributes["target_metadata"], context.config.attributes["database_url"])
