"""``python -m kernel.run <service> [service|relay|migrate]``: run any registered service.

- ``service`` (default): the nameko service, eventlet monkey-patched before anything else loads.
  ``--name`` runs it under another nameko name (tests, blue-green).
- ``relay``: publish the service's outbox to ``<service>.events`` until SIGTERM/SIGINT.
- ``migrate``: ``alembic upgrade head`` through the kernel's alembic env with the service's
  metadata and its ``migrations/versions``, then its broker topology hook, if any.
- ``revision -m MESSAGE [--autogenerate]``: a new migration in the service's versions folder.

Settings come from the class the registry names (``PANORAMA_<NAME>_*`` plus the common ones).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from kernel import registry

MODES = ("service", "relay", "migrate", "revision")


class RunnableSettings(Protocol):
    rabbitmq_url: str
    log_level: str
    log_json: bool

    def refuse_dev_secrets(self) -> None: ...

    def nameko_config(self) -> dict[str, object]: ...


def load_settings(service: registry.Service) -> Any:
    if service.settings_class is None:
        from kernel.settings import service_settings

        return service_settings(service.name)()
    return registry.import_object(service.settings_class)()


def run_service(service: registry.Service, nameko_name: str | None = None) -> None:
    import eventlet

    eventlet.monkey_patch()  # before anything else imports socket/threading

    from kernel.logs import configure_logging
    from kernel.nameko_ext import run_service as run_nameko

    settings: RunnableSettings = load_settings(service)
    settings.refuse_dev_secrets()
    configure_logging(service.name, settings.log_level, settings.log_json)
    service_class = registry.import_object(service.service_class)
    name = nameko_name or getattr(settings, "nameko_name", None) or service.name
    if name != service_class.name:
        service_class = type(service_class.__name__, (service_class,), {"name": name})
    run_nameko(service_class, settings.nameko_config())


def run_relay(service: registry.Service) -> None:
    import signal
    import threading
    from datetime import timedelta

    from prometheus_client import start_http_server

    from kernel.db import make_engine
    from kernel.logs import configure_logging
    from kernel.migrate import metadata_of
    from kernel.relay import OutboxRelay

    if not service.outbox:
        raise SystemExit(f"{service.name} has no outbox (see kernel/registry.py)")
    settings = load_settings(service)
    settings.refuse_dev_secrets()
    configure_logging(f"{service.name}-relay", settings.log_level, settings.log_json)
    if settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port, addr="127.0.0.1")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    tables = metadata_of(service).tables
    relay = OutboxRelay(
        service=service.name,
        # run_forever retries, so no pre-ping; a "published" mark lost in a crash only republishes
        # (consumers deduplicate), so its commit need not wait for the disk: ~0.3 ms per batch.
        engine=make_engine(settings.database_url, pool_size=2, pre_ping=False, durable_commits=False),
        table=tables["outbox"],
        rabbitmq_url=settings.rabbitmq_url,
        coalesce_seconds=settings.relay_coalesce_ms / 1000,
        processed_events=tables.get("processed_events"),
        processed_retention=timedelta(days=settings.processed_events_retention_days),
    )
    relay.run_forever(stop)


def run_migrate(service: registry.Service) -> None:
    from kernel.logs import configure_logging
    from kernel.migrate import migrate

    settings = load_settings(service)
    settings.refuse_dev_secrets()
    configure_logging(f"{service.name}-migrate", settings.log_level, settings.log_json)
    migrate(service, getattr(settings, "database_url", None), settings.rabbitmq_url)


def run_revision(service: registry.Service, message: str, autogenerate: bool) -> None:
    from kernel.migrate import revision

    revision(service, load_settings(service).database_url, message, autogenerate)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kernel.run", description=__doc__.split("\n")[0])
    parser.add_argument("service", choices=registry.names())
    parser.add_argument("mode", nargs="?", default="service", choices=MODES)
    parser.add_argument("--name", help="service mode: nameko name to run under (default: the service's)")
    parser.add_argument("-m", "--message", help="revision mode: what the migration does")
    parser.add_argument("--autogenerate", action="store_true", help="revision mode: diff the metadata")
    args = parser.parse_args(argv)
    service = registry.get(args.service)
    if args.mode == "service":
        run_service(service, args.name)
    elif args.mode == "relay":
        run_relay(service)
    elif args.mode == "migrate":
        run_migrate(service)
    else:
        if not args.message:
            parser.error("revision needs -m MESSAGE")
        run_revision(service, args.message, args.autogenerate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
