"""The whole Panorama stack for the soak: every process `make run` starts, on the bench servers.

What runs comes from the service registry (``kernel.registry.launches()``: each service, its
relay, search + indexer, the gateway relay and the gateway), as in deploy/local/supervisor.py, but
against private databases (``BenchSettings.soak_database``: reset every run), the bench virtual
host, a soak search alias and indexer queue of its own and a free port, without metrics ports (a
`make run` stack on the same machine keeps its own). Demo directory and demo data come from
``gateway.cli seed-demo``, as `make run` loads them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import pika
import psycopg2
from kernel import registry
from search.es import make_client
from search.settings import SearchSettings
from sqlalchemy.engine import make_url

from bench import bulkload, freshness, procs
from bench.gateway import free_port, token, wait_ready
from bench.settings import BenchSettings

MIGRATE_TIMEOUT = 300.0


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    # registry launch name ("customers", "customers-relay", "search-indexer", "gateway", …) -> process
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def token(self, username: str) -> str:
        return token(self.base_url, username, demo_password())

    def require_alive(self) -> None:
        procs.require_alive(list(self.processes.values()), "soak stack")


def demo_password() -> str:
    return os.environ.get("PANORAMA_DEMO_PASSWORD", "panorama")  # what seed-demo uses


def search_settings(settings: BenchSettings) -> SearchSettings:
    return settings.search_settings(settings.soak_alias, settings.soak_queue)


def stack_env(settings: BenchSettings, port: int) -> dict[str, str]:
    """Every process's settings: private databases, the bench vhost, the soak alias and queue."""
    return {
        "PANORAMA_ENVIRONMENT": "test",
        "PANORAMA_RABBITMQ_URL": settings.rabbitmq_url,
        "PANORAMA_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "PANORAMA_ELASTICSEARCH_USER": settings.elasticsearch_user,
        "PANORAMA_ELASTICSEARCH_PASSWORD": settings.elasticsearch_password,
        "PANORAMA_SEARCH_ALIAS": settings.soak_alias,
        "PANORAMA_SEARCH_QUEUE": settings.soak_queue,
        **{o.database_url_variable: settings.soak_database_url(o.name) for o in registry.database_owners()},
        "PANORAMA_PORT": str(port),
        "PANORAMA_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def reset_databases(settings: BenchSettings) -> list[str]:
    """Each owner's soak database created if missing and emptied; their names."""
    owners = [o.name for o in registry.database_owners()]
    for owner in owners:
        freshness.ensure_database(settings.bench_dsn, settings.soak_database(owner))
        dsn = make_url(settings.soak_database_url(owner)).set(drivername="postgresql")
        conn = psycopg2.connect(dsn.render_as_string(hide_password=False))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            conn.close()
    return [settings.soak_database(owner) for owner in owners]


def reset_search(settings: BenchSettings) -> None:
    """A fresh index behind the soak alias and no leftover indexer queue (a previous run's events)."""
    search = search_settings(settings)
    es = make_client(search)
    try:
        bulkload.reset_index(es, search)
    finally:
        es.close()
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    try:
        bulkload.reset_queue(connection, settings.soak_queue)
    finally:
        connection.close()


def migrate(env: dict[str, str]) -> None:
    """What `make run` does first: each service's schema and broker topology, then the gateway's."""
    for _title, argv in registry.migrate_steps():
        procs.run_module(argv[1], list(argv[2:]), env, timeout=MIGRATE_TIMEOUT)


@contextmanager
def running_stack(settings: BenchSettings, progress: Callable[[str], None]) -> Iterator[Stack]:
    """Reset, migrate, start every process, wait until ready, seed the demo; stop them all on exit."""
    settings.require_loopback()
    databases = reset_databases(settings)
    reset_search(settings)
    port = free_port()
    env = stack_env(settings, port)
    progress(f"databases {', '.join(databases)} reset; migrating")
    migrate(env)
    stack = Stack(f"http://127.0.0.1:{port}", env)
    with ExitStack() as exits:
        for launch in registry.launches():
            target = launch.argv[1:]  # after "-m"
            (process,) = exits.enter_context(procs.running(target, env, f"soak-{launch.name}"))
            stack.processes[launch.name] = process
        wait_ready(stack.base_url, list(stack.processes.values()), needed=None)
        progress(f"{len(stack.processes)} processes ready at {stack.base_url}; seeding the demo data")
        procs.run_module("gateway.cli", ["seed-demo"], env, timeout=MIGRATE_TIMEOUT)
        yield stack
        stack.require_alive()
