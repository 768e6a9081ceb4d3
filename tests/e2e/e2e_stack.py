"""The whole Panorama stack as real processes on the test servers, for end-to-end tests.

Own databases (panorama_e2e_*), the test RabbitMQ vhost, a unique search alias and queue, and a
free port: it never touches a running `make run` stack, and it cleans up after itself.

``Stack(log_dir, copies=N)`` runs N copies of every process (each gateway copy on a port of its
own, ``base_urls``); ``add_copies`` grows a running stack the same way and ``stop_copies`` shrinks
it back, so a scale-out test can share the session's stack instead of starting a second one on
the same databases and virtual host.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from elasticsearch import Elasticsearch
from gateway.readiness import stack_ready
from kernel import registry
from kernel.broker_admin import BrokerAdmin
from kernel.testing import TestServers
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
# Every process of `make run` (kernel.registry), without metrics ports: name -> python argv.
PROCESSES = {launch.name: launch.argv for launch in registry.launches()}
QUEUE_FAMILY = "e2e.indexer."
# PANORAMA_E2E_DATABASE_PREFIX (e.g. "panorama_dev1_e2e_") gives a second checkout on the same
# servers databases of its own; by default the registry's panorama_e2e_<name>.
_PREFIX = os.environ.get("PANORAMA_E2E_DATABASE_PREFIX")
DATABASES = {
    o.database_url_variable: (f"{_PREFIX}{o.name}" if _PREFIX else db)
    for o in registry.database_owners()
    if (db := o.test_database("e2e"))
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_url(name: str) -> str:
    base = TestServers().customers_database_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def copy_name(name: str, copy: int) -> str:
    """The process (and log file) name of copy ``copy`` (1-based): the first keeps the plain name."""
    return name if copy == 1 else f"{name}-{copy}"


def outbox_database_urls() -> dict[str, str]:
    """Owner name -> URL of its e2e database, for every owner with an outbox (the gateway's
    identity outbox included): what a test counting published events reads."""
    return {
        o.name: _pg_url(DATABASES[o.database_url_variable])
        for o in registry.database_owners()
        if getattr(o, "outbox", True) and o.database_url_variable in DATABASES
    }


class Stack:
    def __init__(self, log_dir: Path, copies: int = 1) -> None:
        servers = TestServers()
        run_id = uuid.uuid4().hex[:8]
        self.copies = copies
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.base_urls = [self.base_url]  # one per gateway copy, the first copy's first
        self.alias = f"panorama-e2e-{run_id}"
        self.queue = f"{QUEUE_FAMILY}{run_id}"
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "PANORAMA_ENVIRONMENT": "test",
            "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
            **{variable: _pg_url(database) for variable, database in DATABASES.items()},
            "PANORAMA_SEARCH_ALIAS": self.alias,
            "PANORAMA_SEARCH_QUEUE": self.queue,
            "PANORAMA_PORT": str(self.port),
            "PANORAMA_PUBLIC_URL": self.base_url,
            "PANORAMA_LOG_JSON": "true",
            "PANORAMA_OVERDUE_CHECK_SECONDS": "5",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def reset_databases(self) -> None:
        for name in DATABASES.values():
            engine = create_engine(_pg_url(name))
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            engine.dispose()
        # What `make run` does first: schemas and broker topology (the stack's own queue names).
        for _title, argv in registry.migrate_steps():
            subprocess.run([sys.executable, *argv], cwd=ROOT, env=self.env, check=True, timeout=180)

    def start(self) -> None:
        # The indexer queues of earlier stacks killed before their stop: each would keep a copy of
        # every event this one publishes.
        BrokerAdmin(self.env["PANORAMA_RABBITMQ_URL"]).delete_queues(QUEUE_FAMILY, unused_only=True)
        self.reset_databases()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        copies, self.copies = self.copies, 1
        for name, argv in PROCESSES.items():
            self._launch(name, argv, 1)
        self.wait_ready()
        self.cli("seed-demo")
        if copies > 1:
            self.add_copies(copies)

    def _launch(self, name: str, argv: tuple[str, ...], copy: int) -> None:
        env = self.env
        if name == registry.GATEWAY.name and copy > 1:  # every other process needs no port
            port = free_port()
            env = {**env, "PANORAMA_PORT": str(port)}
            self.base_urls.append(f"http://127.0.0.1:{port}")
        process_name = copy_name(name, copy)
        log = open(self.log_dir / f"{process_name}.log", "wb")  # noqa: SIM115 (owned by the child)
        self.processes[process_name] = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def add_copies(self, copies: int) -> None:
        """Run ``copies`` of every process in all (start the missing ones) and wait until each
        gateway copy is ready. Copies of a nameko service share its queues: they compete."""
        for copy in range(self.copies + 1, copies + 1):
            for name, argv in PROCESSES.items():
                self._launch(name, argv, copy)
        self.copies = max(self.copies, copies)
        self.wait_ready(timeout=180.0)  # a dozen interpreters starting at once on a small box
        self.wait_consumers(copies)

    def wait_consumers(self, copies: int, timeout: float = 120.0) -> None:
        """Until ``copies`` consumers serve every service's RPC queue and the indexer's queue: a
        gateway is ready as soon as one copy answers, the later ones may still be connecting."""
        import pika

        queues = [f"rpc-{s.name}" for s in registry.SERVICES] + [self.queue]
        connection = pika.BlockingConnection(pika.URLParameters(self.env["PANORAMA_RABBITMQ_URL"]))
        try:
            channel = connection.channel()
            deadline = time.monotonic() + timeout
            while True:
                counts = {q: channel.queue_declare(q, passive=True).method.consumer_count for q in queues}
                short = {q: n for q, n in counts.items() if n < copies}
                if not short:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not {copies} consumers within {timeout}s: {short}")
                connection.sleep(0.5)
        finally:
            connection.close()

    def stop_copies(self) -> None:
        """Back to one copy of everything: stop (SIGTERM) every copy after the first."""
        extra = {n: p for n, p in self.processes.items() if n not in PROCESSES}
        self._stop_processes(list(extra.values()))
        for name in extra:
            del self.processes[name]
        self.base_urls = [self.base_url]
        self.copies = 1

    def kill(self, name: str, copy: int) -> None:
        """SIGKILL one copy of a process (no clean shutdown: what a crash or the OOM killer does).
        It stays dead; ``stop_copies`` forgets it."""
        process = self.processes[copy_name(name, copy)]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"gateway.cli {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        waiting = list(self.base_urls)
        while time.monotonic() < deadline:
            for module, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{module} exited early; see {self.log_dir / (module + '.log')}")
            try:
                response = httpx.get(f"{waiting[0]}/readyz", timeout=10)
                if stack_ready(response.status_code, response.json()):
                    waiting.pop(0)
                    if not waiting:
                        return
                    continue
                last = response.text
            except (httpx.HTTPError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"stack not ready within {timeout}s: {last}")

    def token(self, username: str, password: str = "panorama") -> str:
        response = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            data={"username": username, "password": password},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def stop(self) -> None:
        self._stop_processes(list(self.processes.values()))
        self._drop_search_state()

    @staticmethod
    def _stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    @staticmethod
    def elasticsearch() -> Elasticsearch:
        return Elasticsearch(
            TestServers().elasticsearch_url,
            basic_auth=(os.environ.get("PANORAMA_ELASTICSEARCH_USER", "panorama"),
                        os.environ.get("PANORAMA_ELASTICSEARCH_PASSWORD", "panorama")),
        )  # fmt: skip

    def _drop_search_state(self) -> None:
        settings = TestServers()
        es = self.elasticsearch()
        # Deleting by wildcard is refused (action.destructive_requires_name): name each index.
        names = list(es.options(ignore_status=404).indices.get(index=f"{self.alias}-*").keys())
        for name in names:
            es.options(ignore_status=404).indices.delete(index=name)
        BrokerAdmin(settings.rabbitmq_url).delete_queues(self.queue)  # and its ".dlq"
