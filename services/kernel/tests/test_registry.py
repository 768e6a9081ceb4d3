"""The service registry and everything derived from it agree (services/README.md's promise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kernel import registry
from kernel.migrate import declare_topology, metadata_of
from kernel.run import load_settings
from kernel.run import main as run_main
from kernel.settings import ServiceSettings, service_settings

ROOT = registry.ROOT


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any PANORAMA_* value, so the registry's defaults show."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANORAMA_")}
    return {**env, **extra}


def test_names_ports_and_databases_are_unique():
    names = registry.names()
    assert len(names) == len(set(names))
    ports = [*registry.metrics_ports()]
    assert len(ports) == len(set(ports)), ports
    launches = [launch.name for launch in registry.launches()]
    assert len(launches) == len(set(launches))
    databases = registry.databases()
    assert len(databases) == len(set(databases))


@pytest.mark.parametrize("service", registry.SERVICES, ids=lambda s: s.name)
def test_every_entry_points_at_real_code(service: registry.Service):
    assert service.name.isidentifier() and service.name == service.name.lower()
    assert (service.path / service.package / "__init__.py").is_file()
    settings = load_settings(service)
    assert callable(settings.nameko_config) and callable(settings.refuse_dev_secrets)
    if service.metadata is not None:
        assert service.versions_dir.is_dir()
        assert service.database is not None
        tables = metadata_of(service).tables
        assert ("outbox" in tables) == service.outbox
    else:
        assert service.database is None and not service.outbox
    if service.contracts is not None:
        contracts = registry.import_object(service.contracts)
        assert "nameko" not in getattr(contracts, "__file__", "")
        for kind in registry.search_kinds(service):
            assert kind.event_types, kind


def test_service_class_is_the_nameko_service_the_registry_names():
    for service in registry.SERVICES:
        assert registry.import_object(service.service_class).name == service.name


def test_per_service_settings_read_their_own_variables(monkeypatch: pytest.MonkeyPatch):
    customers = registry.get("customers")
    monkeypatch.setenv(customers.database_url_variable, "postgresql+psycopg2://u:p@db/x")
    monkeypatch.setenv(customers.metrics_port_variable, "9911")
    monkeypatch.setenv(customers.relay_metrics_port_variable, "9912")
    settings = load_settings(customers)
    assert isinstance(settings, ServiceSettings)
    assert (settings.database_url, settings.metrics_port, settings.relay_metrics_port) == (
        "postgresql+psycopg2://u:p@db/x",
        9911,
        9912,
    )
    assert settings.nameko_config()["DATABASE_URL"] == "postgresql+psycopg2://u:p@db/x"
    assert type(settings).service is customers


def test_a_service_without_settings_of_its_own_gets_the_kernel_ones(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PANORAMA_CUSTOMERS_METRICS_PORT", "9931")
    plain = registry.Service(**{**vars(registry.get("customers")), "settings_class": None})
    settings = load_settings(plain)
    assert type(settings).service is registry.get("customers") and settings.metrics_port == 9931
    assert not hasattr(settings, "overdue_check_seconds")


def test_service_settings_default_to_the_registry_database(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PANORAMA_CUSTOMERS_DATABASE_URL", raising=False)
    settings = service_settings("customers")()
    assert settings.database_url.endswith("/panorama_customers")
    with pytest.raises(KeyError, match="unknown service"):
        service_settings("nope")


def test_relay_coalescing_window_is_a_setting_with_bounds(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PANORAMA_RELAY_COALESCE_MS", raising=False)
    assert service_settings("customers")().relay_coalesce_ms == 50
    monkeypatch.setenv("PANORAMA_RELAY_COALESCE_MS", "5")
    assert service_settings("sales")().relay_coalesce_ms == 5
    monkeypatch.setenv("PANORAMA_RELAY_COALESCE_MS", "5000")
    with pytest.raises(ValueError, match="relay_coalesce_ms"):
        service_settings("sales")()


def test_processed_events_retention_is_a_setting_with_bounds(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PANORAMA_PROCESSED_EVENTS_RETENTION_DAYS", raising=False)
    assert service_settings("finance")().processed_events_retention_days == 30
    monkeypatch.setenv("PANORAMA_PROCESSED_EVENTS_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="processed_events_retention_days"):
        service_settings("finance")()


def test_production_refuses_dev_credentials_in_the_derived_database_url(monkeypatch):
    monkeypatch.delenv("PANORAMA_CUSTOMERS_DATABASE_URL", raising=False)
    settings = service_settings("customers")(
        environment="production", rabbitmq_url="amqp://a:b@mq/%2F", identity_key="k" * 40
    )
    with pytest.raises(ValueError, match="development credentials"):
        settings.nameko_config()


def test_supervisor_runs_what_the_registry_lists():
    from deploy.local import supervisor

    managed = {m.name: m for m in supervisor.processes()}
    for service in registry.SERVICES:
        assert managed[service.name].argv == ("-m", "kernel.run", service.name, "service")
        assert managed[service.name].env == {service.metrics_port_variable: str(service.metrics_port)}
        assert (f"{service.name}-relay" in managed) == service.outbox
        for process in service.processes:
            assert managed[process.name].argv == ("-m", process.module)
    assert list(managed)[-1] == "gateway"
    relay = managed["gateway-relay"]  # the identity outbox -> identity.events
    assert relay.argv == ("-m", registry.GATEWAY.relay_module)
    assert relay.env == {"PANORAMA_GATEWAY_RELAY_METRICS_PORT": str(registry.GATEWAY.relay_metrics_port)}
    steps = [argv for _, argv in registry.migrate_steps()]
    for service in registry.SERVICES:
        assert ("-m", "kernel.run", service.name, "migrate") in steps
    assert steps[-1] == ("-m", "gateway.cli", "migrate")


def test_supervisor_process_commands_parse():
    """Every ``kernel.run`` command the supervisor will start is one the runner accepts."""
    for launch in registry.launches():
        if launch.argv[:2] == ("-m", "kernel.run"):
            with pytest.raises(SystemExit) as exc:
                run_main([*launch.argv[2:], "--help"])
            assert exc.value.code == 0
    with pytest.raises(SystemExit) as exc:
        run_main(["not-a-service"])
    assert exc.value.code == 2


def source_env_sh(**overrides: str) -> dict[str, str]:
    script = "source deploy/local/env.sh >/dev/null && env -0"
    out = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=clean_env(**overrides), capture_output=True, check=True
    ).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith("PANORAMA_")}


def test_env_sh_exports_every_database_from_the_registry():
    env = source_env_sh()
    assert env["PANORAMA_POSTGRES_DATABASES"].split() == registry.databases()
    assert set(env["PANORAMA_POSTGRES_TRGM_DATABASES"].split()) <= set(registry.databases())
    server = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432"
    for owner in registry.database_owners():
        assert env[owner.database_url_variable] == f"{server}/{owner.database}"
        test_variable = owner.database_url_variable.replace("PANORAMA_", "PANORAMA_TEST_", 1)
        assert env[test_variable] == f"{server}/{owner.test_database('test')}"
        assert owner.test_database("test") in registry.databases()
        assert owner.test_database("e2e") in registry.databases()
    assert env["PANORAMA_BENCH_DATABASE_URL"] == f"{server}/{registry.BENCH_DATABASE}"


def test_env_sh_keeps_values_set_before_sourcing():
    env = source_env_sh(
        PANORAMA_CUSTOMERS_DATABASE_URL="postgresql://elsewhere/x", PANORAMA_POSTGRES_PORT="6543"
    )
    assert env["PANORAMA_CUSTOMERS_DATABASE_URL"] == "postgresql://elsewhere/x"
    assert env["PANORAMA_GATEWAY_DATABASE_URL"].endswith("@127.0.0.1:6543/panorama_gateway")


def test_registry_runs_under_plain_python_without_the_venv():
    """env.sh calls it with the system python3 and only services/kernel on the path."""
    done = subprocess.run(
        ["python3", "-S", "-m", "kernel.registry", "shell-env"],
        env=clean_env(PYTHONPATH=str(ROOT / "services" / "kernel")),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "PANORAMA_POSTGRES_DATABASES" in done.stdout


def test_committed_prometheus_config_is_the_generated_one():
    committed = (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
    assert committed == registry.prometheus(), (
        "run: python -m kernel.registry prometheus > deploy/prometheus/prometheus.yml"
    )
    for launch in registry.launches():
        if launch.metrics_port:
            assert f"job_name: {launch.name}\n" in committed
            assert f"127.0.0.1:{launch.metrics_port}" in committed


def test_reindex_sources_and_exchanges_come_from_the_contracts(monkeypatch: pytest.MonkeyPatch):
    from search.settings import SearchSettings

    for name in [n for n in os.environ if n.startswith("PANORAMA_SEARCH_")]:
        monkeypatch.delenv(name)
    expected: dict[str, list[str]] = {}
    for service in registry.SERVICES:
        contracts = registry.import_object(service.contracts) if service.contracts else None
        if kinds := getattr(contracts, "SEARCH_KINDS", None):
            expected[service.name] = [kind.kind for kind in kinds]
    assert expected  # customers exports four kinds today
    settings = SearchSettings()
    assert settings.search_reindex_sources == expected == registry.reindex_sources()
    assert settings.search_exchanges == [f"{name}.events" for name in expected]


def test_test_servers_have_a_database_per_registered_owner(monkeypatch: pytest.MonkeyPatch):
    from kernel.testing import TestServers

    for owner in registry.database_owners():
        monkeypatch.delenv(f"PANORAMA_TEST_{owner.name.upper()}_DATABASE_URL", raising=False)
    servers = TestServers()
    for owner in registry.database_owners():
        assert servers.database_url(owner.name).endswith(f"/{owner.test_database('test')}")
    monkeypatch.setenv("PANORAMA_TEST_CUSTOMERS_DATABASE_URL", "postgresql://x/y")
    assert TestServers().customers_database_url == "postgresql://x/y"


def test_gateway_defaults_name_every_service(monkeypatch: pytest.MonkeyPatch):
    from gateway.settings import GatewaySettings

    monkeypatch.delenv("PANORAMA_READY_SERVICES", raising=False)
    monkeypatch.delenv("PANORAMA_REPLICA_SERVICES", raising=False)
    settings = GatewaySettings()
    assert settings.ready_services == registry.names()
    assert settings.replica_services == [s.name for s in registry.SERVICES if s.user_replica]


def test_topology_hook_runs_when_its_module_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "probe_topology_h1.py").write_text(
        "calls = []\ndef declare(rabbitmq_url):\n    calls.append(rabbitmq_url)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    base = registry.get("search")
    present = registry.Service(**{**vars(base), "topology": "probe_topology_h1:declare"})
    assert declare_topology(present, "amqp://probe") is True
    assert registry.import_object("probe_topology_h1").calls == ["amqp://probe"]
    absent = registry.Service(**{**vars(base), "topology": "no_such_module_h1:declare"})
    assert declare_topology(absent, "amqp://probe") is False
    assert declare_topology(registry.get("customers"), "amqp://probe") is False  # no hook


def test_search_names_its_topology_hook():
    assert registry.get("search").topology == "search.topology:declare"


def test_bench_cpu_groups_kernel_run_processes_like_the_old_modules(monkeypatch: pytest.MonkeyPatch):
    from bench import cpu

    cases = {
        (b"kernel.run", b"customers", b"relay"): "customers.relay",
        (b"kernel.run", b"customers", b"service"): "customers",
        (b"kernel.run", b"search"): "search",
        (b"search.indexer",): "search.indexer",
    }
    for args, group in cases.items():
        monkeypatch.setattr(cpu, "PROC", _FakeProc([sys.executable.encode(), b"-m", *args]))
        assert cpu._group("123", parent=1, me=1) == group


class _FakeProc:
    """``PROC / pid / "cmdline"`` answering with a fixed argv."""

    def __init__(self, argv: list[bytes]) -> None:
        self.argv = argv

    def __truediv__(self, part: str) -> _FakeProc:
        return self

    def read_bytes(self) -> bytes:
        return b"\0".join(self.argv) + b"\0"


def test_every_service_is_packaged_and_type_checked():
    """setup.py and `make lint` (MYPYPATH) take their import roots from the registry."""
    roots = registry.import_roots()
    for service in registry.SERVICES:
        assert (f"services/{service.folder}", service.package) in roots
    for folder, package in roots:
        assert (registry.ROOT / folder / package / "__init__.py").is_file()
    assert registry.mypy_path().strip().split(":") == [folder for folder, _ in roots] + ["."]


def test_migrate_finds_the_idempotent_handlers_of_each_service():
    """``kernel.migrate.declare_consumer_queues`` declares these: no per-service hook to write."""
    from kernel.event_handlers import handler_queues

    customers = registry.import_object(registry.get("customers").service_class)
    assert handler_queues(customers) == [("identity", "user.upserted", "on_identity_user_upserted")]
    search = registry.import_object(registry.get("search").service_class)
    assert handler_queues(search) == []
    # Services joining one entrypoint mixin per area: the mixins' handlers count too.
    finance = registry.import_object(registry.get("finance").service_class)
    found = handler_queues(finance)
    assert ("sales", "order.placed", "on_order_placed") in found
    assert ("customers", "customer.updated", "on_customer_updated") in found
    assert ("identity", "user.upserted", "on_user_upserted") in found
