"""The whole Panorama stack as real processes on the test servers, for end-to-end tests.

Own databases (panorama_e2e_*), the test RabbitMQ vhost, a unique search alias and queue, and a
free port: it never touches a running `make run` stack, and it cleans up after itself.
"""

from __future__ import annotations

import os
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
from kernel.testing import TestServers
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
# Every process of `make run` (kernel.registry), without metrics ports: name -> python argv.
PROCESSES = {launch.name: launch.argv for launch in registry.launches()}
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


class Stack:
    def __init__(self, log_dir: Path) -> None:
        servers = TestServers()
        run_id = uuid.uuid4().hex[:8]
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.alias = f"panorama-e2e-{run_id}"
        self.queue = f"e2e.indexer.{run_id}"
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
        self.reset_databases()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name, argv in PROCESSES.items():
            log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (owned by the child)
            self.processes[name] = subprocess.Popen(
                [sys.executable, *argv], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
        self.wait_ready()
        self.cli("seed-demo")

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
        while time.monotonic() < deadline:
            for module, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{module} exited early; see {self.log_dir / (module + '.log')}")
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=3)
                if stack_ready(response.status_code, response.json()):
                    return
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
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._drop_search_state()

    def _drop_search_state(self) -> None:
        settings = TestServers()
        es = Elasticsearch(
            settings.elasticsearch_url,
            basic_auth=(os.environ.get("PANORAMA_ELASTICSEARCH_USER", "panorama"),
                        os.environ.get("PANORAMA_ELASTICSEARCH_PASSWORD", "panorama")),
        )  # fmt: skip
        # Deleting by wildcard is refused (action.destructive_requires_name): name each index.
        names = list(es.options(ignore_status=404).indices.get(index=f"{self.alias}-*").keys())
        for name in names:
            es.options(ignore_status=404).indices.delete(index=name)
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
        channel = connection.channel()
        for queue in (self.queue, f"{self.queue}.dlq"):
            channel.queue_delete(queue)
        connection.close()
