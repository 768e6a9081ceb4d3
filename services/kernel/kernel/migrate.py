"""Migrations and broker topology of a registered service, through the kernel's one alembic env.

``python -m kernel.run <service> migrate`` calls ``migrate``; tests and the bench call
``upgrade(service, url)`` on their own databases.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from kernel import registry, unrouted

log = logging.getLogger(__name__)
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def metadata_of(service: registry.Service) -> MetaData:
    if service.metadata is None:
        raise ValueError(f"service {service.name!r} has no database metadata")
    found: Any = registry.import_object(service.metadata)
    return found if isinstance(found, MetaData) else found.metadata  # a declarative base


def alembic_config(service: registry.Service, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(service.versions_dir))
    config.attributes["target_metadata"] = metadata_of(service)
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str | registry.Service, database_url: str) -> None:
    """``alembic upgrade head`` of ``service`` on ``database_url``."""
    entry = registry.get(service) if isinstance(service, str) else service
    command.upgrade(alembic_config(entry, database_url), "head")


def revision(service: registry.Service, database_url: str, message: str, autogenerate: bool) -> None:
    command.revision(alembic_config(service, database_url), message=message, autogenerate=autogenerate)


def declare_topology(service: registry.Service, rabbitmq_url: str) -> bool:
    """Run the service's topology hook (declare consumer queues before anything publishes).

    False when it has none, or its module is not there (yet).
    """
    if service.topology is None:
        return False
    module_name = service.topology.partition(":")[0]
    if importlib.util.find_spec(module_name) is None:
        log.warning("topology hook %s of %s not found; skipped", service.topology, service.name)
        return False
    registry.import_object(service.topology)(rabbitmq_url)
    log.info("declared the broker topology of %s (%s)", service.name, service.topology)
    return True


def migrate(service: registry.Service, database_url: str | None, rabbitmq_url: str) -> None:
    if service.metadata is not None:
        if not database_url:
            raise ValueError(f"no database URL for {service.name} ({service.database_url_variable})")
        upgrade(service, database_url)
        log.info("migrated %s to head", service.name)
    declare_topology(service, rabbitmq_url)
    declare_consumer_queues(service, rabbitmq_url)
    unrouted.declare(rabbitmq_url, registry.published_exchanges())


def declare_consumer_queues(service: registry.Service, rabbitmq_url: str) -> list[str]:
    """Declare the queues of the service's idempotent event handlers (no hook to write: they are
    found on the service class), so events published before it first starts wait for it."""
    from kernel.event_handlers import declare_handler_queues

    queues = declare_handler_queues(registry.import_object(service.service_class), rabbitmq_url)
    if queues:
        log.info("declared the event queues of %s: %s", service.name, ", ".join(queues))
    return queues
