"""The service registry: the one place that names every Panorama service.

Everything that lists services — the ``make run`` supervisor, ``deploy/local/env.sh``, database
provisioning, Prometheus targets, test servers, gateway readiness and user replication, search
reindex sources and exchanges — is derived from ``SERVICES`` below. Adding a service is one
folder plus one entry here (see services/README.md).

Stdlib only, so bash (``python3 -m kernel.registry shell-env`` with PYTHONPATH=services/kernel)
and the gateway can read it without importing any service.

    python3 -m kernel.registry shell-env    # env.sh: database list and per-service URLs
    python3 -m kernel.registry prometheus   # deploy/prometheus/prometheus.yml
    python3 -m kernel.registry names        # one service name a line
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SERVICES_DIR = ROOT / "services"
DATABASE_PREFIX = "panorama_"
# Databases exist once per purpose: the running stack, the test suite, the end-to-end stack.
TEST_DATABASE_PURPOSES = ("test", "e2e")
BENCH_DATABASE = "panorama_test_bench"  # bench/ loads 100k customers into its own database


@dataclass(frozen=True)
class Process:
    """A long-running process of a service besides its nameko service and its relay."""

    name: str  # process (log file, Prometheus job) name, e.g. "search-indexer"
    module: str  # ``python -m <module>``
    metrics_port: int  # under ``make run``; 0 = none

    @property
    def metrics_port_variable(self) -> str:
        return f"PANORAMA_{_env(self.name)}_METRICS_PORT"


@dataclass(frozen=True)
class Service:
    """One nameko service. Import paths are strings: nothing here imports the service."""

    name: str  # nameko name, routing key prefix, ``PANORAMA_<NAME>_*`` prefix
    service_class: str  # "customers.service:CustomersService"
    metrics_port: int  # under ``make run``
    database: str | None  # own PostgreSQL database; None = stateless (search)
    # Only for settings of its own: "customers.settings:CustomersSettings", a subclass of
    # kernel.settings.service_settings("customers"). Default: that kernel class as is.
    settings_class: str | None = None
    metadata: str | None = None  # SQLAlchemy declarative base for migrations, "pkg.storage.models:Base"
    outbox: bool = True  # has an outbox table, hence a relay process
    relay_metrics_port: int = 0
    contracts: str | None = None  # module publishing SEARCH_KINDS, EVENT_SCHEMAS, … (no nameko/SQLAlchemy)
    topology: str | None = None  # "pkg.topology:declare", declare(rabbitmq_url) run at migrate time
    processes: tuple[Process, ...] = ()
    folder: str = ""  # services/<folder>; defaults to the name ("service-desk" keeps its hyphen)
    package: str = ""  # python package; defaults to the name
    # Holds a replica of the gateway's users: consumes identity ``user.upserted`` and takes the
    # gateway's ``upsert_user`` RPC push (a fast path; the events stay the authority).
    user_replica: bool = False
    pg_extensions: tuple[str, ...] = ()  # created by the superuser at provisioning time

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", self.folder or self.name)
        object.__setattr__(self, "package", self.package or self.name)

    @property
    def events_exchange(self) -> str:
        return f"{self.name}.events"

    @property
    def env_prefix(self) -> str:
        return f"PANORAMA_{_env(self.name)}_"

    @property
    def database_url_variable(self) -> str:
        return f"{self.env_prefix}DATABASE_URL"

    @property
    def metrics_port_variable(self) -> str:
        return f"{self.env_prefix}METRICS_PORT"

    @property
    def relay_metrics_port_variable(self) -> str:
        return f"{self.env_prefix}RELAY_METRICS_PORT"

    @property
    def path(self) -> Path:
        return SERVICES_DIR / self.folder

    @property
    def versions_dir(self) -> Path:
        return self.path / "migrations" / "versions"

    def test_database(self, purpose: str) -> str | None:
        return None if self.database is None else _for_purpose(self.database, purpose)


@dataclass(frozen=True)
class Gateway:
    """Not a nameko service, but it owns a database and a port that the deployment lists."""

    name: str = "gateway"
    database: str = "panorama_gateway"
    port: int = 8000  # serves /metrics too
    module: str = "gateway"
    pg_extensions: tuple[str, ...] = ()
    # The identity outbox (user.upserted) and the relay publishing it to identity.events.
    relay_module: str = "gateway.relay"
    relay_metrics_port: int = 9105
    relay_metrics_port_variable: str = "PANORAMA_GATEWAY_RELAY_METRICS_PORT"

    @property
    def database_url_variable(self) -> str:
        return "PANORAMA_GATEWAY_DATABASE_URL"

    def test_database(self, purpose: str) -> str:
        return _for_purpose(self.database, purpose)


SERVICES: tuple[Service, ...] = (
    Service(
        name="customers",
        service_class="customers.service:CustomersService",
        settings_class="customers.settings:CustomersSettings",
        metrics_port=9101,
        relay_metrics_port=9102,
        database="panorama_customers",
        metadata="customers.storage.models:Base",
        contracts="customers.contracts",
        user_replica=True,
        pg_extensions=("pg_trgm",),
    ),
    Service(
        name="sales",
        service_class="sales.service:SalesService",
        settings_class="sales.settings:SalesSettings",
        metrics_port=9106,
        relay_metrics_port=9107,
        database="panorama_sales",
        metadata="sales.storage.models:Base",
        contracts="sales.contracts",
    ),
    Service(
        name="finance",
        service_class="finance.service:FinanceService",
        settings_class="finance.settings:FinanceSettings",
        metrics_port=9108,
        relay_metrics_port=9109,
        database="panorama_finance",
        metadata="finance.storage.models:Base",
        contracts="finance.contracts",
    ),
    Service(
        name="service_desk",
        folder="service-desk",
        service_class="service_desk.service:ServiceDeskService",
        settings_class="service_desk.settings:ServiceDeskSettings",
        metrics_port=9110,
        relay_metrics_port=9111,
        database="panorama_service_desk",
        metadata="service_desk.storage.models:Base",
        contracts="service_desk.contracts",
    ),
    Service(
        name="search",
        service_class="search.service:SearchService",
        settings_class="search.settings:SearchSettings",
        metrics_port=9103,
        database=None,
        outbox=False,
        topology="search.topology:declare",
        processes=(Process("search-indexer", "search.indexer", 9104),),
    ),
)
GATEWAY = Gateway()


def _for_purpose(database: str, purpose: str) -> str:
    """panorama_customers -> panorama_test_customers: each purpose has its own databases."""
    return database.replace(DATABASE_PREFIX, f"{DATABASE_PREFIX}{purpose}_", 1)


def _env(name: str) -> str:
    return name.upper().replace("-", "_").replace(".", "_")


def get(name: str) -> Service:
    for service in SERVICES:
        if service.name == name:
            return service
    known = ", ".join(s.name for s in SERVICES)
    raise KeyError(f"unknown service {name!r} (known: {known})")


def names() -> list[str]:
    return [s.name for s in SERVICES]


def import_object(path: str) -> Any:
    """``"package.module:attribute"`` -> the attribute (``"package.module"`` -> the module)."""
    module_name, _, attribute = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


# -- what is derived ------------------------------------------------------------------------
def _owners() -> list[Service | Gateway]:
    return [*SERVICES, GATEWAY]


def database_owners() -> list[Service | Gateway]:
    """Every service with a database, and the gateway."""
    return [o for o in _owners() if o.database]


def databases() -> list[str]:
    """Every database deploy/local provisions: each service's and the gateway's, per purpose."""
    found = [o.database for o in _owners() if o.database]
    for purpose in TEST_DATABASE_PURPOSES:
        found += [db for o in _owners() if (db := o.test_database(purpose))]
    return [*found, BENCH_DATABASE]


def extension_databases(extension: str) -> list[str]:
    found: list[str] = []
    for owner in _owners():
        if extension in owner.pg_extensions and owner.database:
            found += [owner.database, *(d for p in TEST_DATABASE_PURPOSES if (d := owner.test_database(p)))]
    return [*found, BENCH_DATABASE] if extension == "pg_trgm" else found  # bench compares against pg_trgm


def database_urls() -> dict[str, str]:
    """Environment variable -> database name, for env.sh."""
    urls: dict[str, str] = {}
    for owner in _owners():
        if owner.database is None:
            continue
        urls[owner.database_url_variable] = owner.database
        name = owner.name.upper().replace("-", "_")
        urls[f"PANORAMA_TEST_{name}_DATABASE_URL"] = owner.test_database("test") or ""
    urls["PANORAMA_TEST_BENCH_DATABASE_URL"] = BENCH_DATABASE
    return urls


@dataclass(frozen=True)
class Launch:
    """One supervised process: ``python <argv>`` with its metrics port in ``env``."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    metrics_port: int


def launches() -> list[Launch]:
    """Every process of a running stack, services first and the gateway last."""
    found: list[Launch] = []
    for s in SERVICES:
        found.append(
            Launch(
                s.name,
                ("-m", "kernel.run", s.name, "service"),
                {s.metrics_port_variable: str(s.metrics_port)},
                s.metrics_port,
            )
        )
        if s.outbox:
            found.append(
                Launch(
                    f"{s.name}-relay",
                    ("-m", "kernel.run", s.name, "relay"),
                    {s.relay_metrics_port_variable: str(s.relay_metrics_port)},
                    s.relay_metrics_port,
                )
            )
        for p in s.processes:
            env = {p.metrics_port_variable: str(p.metrics_port)} if p.metrics_port else {}
            found.append(Launch(p.name, ("-m", p.module), env, p.metrics_port))
    found.append(
        Launch(
            f"{GATEWAY.name}-relay",
            ("-m", GATEWAY.relay_module),
            {GATEWAY.relay_metrics_port_variable: str(GATEWAY.relay_metrics_port)},
            GATEWAY.relay_metrics_port,
        )
    )
    found.append(Launch(GATEWAY.name, ("-m", GATEWAY.module), {}, GATEWAY.port))
    return found


def migrate_steps() -> list[tuple[str, tuple[str, ...]]]:
    """(title, argv) run before the stack starts: each service's schema and broker topology
    (consumer queues exist before any relay publishes), then the gateway's database (its relay
    would otherwise poll an outbox table the gateway has not created yet)."""
    return [
        *((f"migrating {s.name}", ("-m", "kernel.run", s.name, "migrate")) for s in SERVICES),
        ("migrating the gateway database", ("-m", f"{GATEWAY.module}.cli", "migrate")),
    ]


def metrics_ports() -> list[int]:
    return [launch.metrics_port for launch in launches() if launch.metrics_port]


def search_kinds(service: Service) -> tuple[Any, ...]:
    """The ``SearchKind``s a service exports to search (``SEARCH_KINDS`` of its contracts)."""
    if service.contracts is None:
        return ()
    return tuple(getattr(import_object(service.contracts), "SEARCH_KINDS", ()))


def all_search_kinds() -> dict[str, Any]:
    """Every service's ``SearchKind``s as one map, in registry order (the UI's group order)."""
    from kernel.kinds import kinds_by_name

    return kinds_by_name(*(search_kinds(s) for s in SERVICES))


def reindex_sources() -> dict[str, list[str]]:
    """Service -> kinds its paged ``export`` RPC serves (imports each service's contracts)."""
    return {s.name: [k.kind for k in kinds] for s in SERVICES if (kinds := search_kinds(s))}


def published_exchanges() -> list[str]:
    """Every events exchange an outbox relay publishes to: each service's with an outbox, and the
    gateway's identity events."""
    from kernel.identity_events import IDENTITY_SOURCE

    return [*(s.events_exchange for s in SERVICES if s.outbox), f"{IDENTITY_SOURCE}.events"]


def search_exchanges() -> list[str]:
    """Events exchanges the search indexer consumes: every service that exports search kinds."""
    return [get(name).events_exchange for name in reindex_sources()]


def search_event_types(exchange: str) -> tuple[str, ...] | None:
    """The event types of ``exchange`` that carry search documents (the search kinds' event
    types), or None for an exchange no registered service owns."""
    for service in SERVICES:
        if service.events_exchange == exchange:
            return tuple(dict.fromkeys(t for kind in search_kinds(service) for t in kind.event_types))
    return None


def user_replica_services() -> list[str]:
    return [s.name for s in SERVICES if s.user_replica]


# -- generated text -------------------------------------------------------------------------
def import_roots() -> list[tuple[str, str]]:
    """(folder relative to the repository, top-level package) of every importable tree: what
    setup.py packages and mypy resolves, so neither lists services by hand."""
    roots = [("services/kernel", "kernel")]
    roots += [(f"services/{s.folder}", s.package) for s in SERVICES]
    return [*roots, ("gateway", "gateway")]


def mypy_path() -> str:
    return ":".join([folder for folder, _ in import_roots()] + ["."]) + "\n"


def shell_env() -> str:
    """Bash for env.sh: defaults that a value already in the environment overrides.

    Expects ``_panorama_pg`` (the server URL without a database) to be set by the caller.
    """
    lines = [
        f': "${{PANORAMA_POSTGRES_DATABASES:={" ".join(databases())}}}"',
        f': "${{PANORAMA_POSTGRES_TRGM_DATABASES:={" ".join(extension_databases("pg_trgm"))}}}"',
    ]
    variables = ["PANORAMA_POSTGRES_DATABASES", "PANORAMA_POSTGRES_TRGM_DATABASES"]
    for variable, database in database_urls().items():
        lines.append(f': "${{{variable}:=${{_panorama_pg}}/{database}}}"')
        variables.append(variable)
    lines.append("export " + " ".join(variables))
    return "\n".join(lines) + "\n"


def prometheus() -> str:
    lines = [
        "# Generated by `python -m kernel.registry prometheus` from services/kernel/kernel/registry.py;",
        "# edit the registry, not this file. Scrape config for a local `make run` stack (127.0.0.1).",
        "global:",
        "  scrape_interval: 15s",
        "scrape_configs:",
    ]
    for launch in launches():
        if launch.metrics_port:
            lines.append(f"  - job_name: {launch.name}")
            lines.append(f'    static_configs: [{{targets: ["127.0.0.1:{launch.metrics_port}"]}}]')
    lines.append('rule_files: ["alerts.yml"]')
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "shell-env": shell_env,
        "prometheus": prometheus,
        "mypy-path": mypy_path,
        "names": lambda: "".join(f"{n}\n" for n in names()),
    }
    if len(args) != 1 or args[0] not in commands:
        print(f"usage: python -m kernel.registry {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    sys.stdout.write(commands[args[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
