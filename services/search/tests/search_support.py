"""Helpers shared by the search tests: contract-valid events, polling, a stoppable TCP proxy."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pika
from customers import contracts
from kernel.envelope import Envelope, make_event
from kernel.ids import new_id
from search.settings import SearchSettings

REPO = Path(__file__).resolve().parents[3]
PYTHONPATH = os.pathsep.join(
    str(REPO / p) for p in ("services/kernel", "services/customers", "services/search")
)
T = TypeVar("T")


# -- events ---------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat()


def customer_data(
    name: str,
    owner_id: str,
    *,
    id: str | None = None,
    version: int = 1,
    team_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data = {
        "id": id or new_id(),
        "version": version,
        "created_at": _now(),
        "updated_at": _now(),
        "name": name,
        "status": "active",
        "value_tier": "normal",
        "tags": [],
        "owner_id": owner_id,
        "team_id": team_id,
        "created_by": owner_id,
        **extra,
    }
    return contracts.Customer.model_validate(data).model_dump(mode="json")


def contact_data(
    customer: dict[str, Any], name: str, *, id: str | None = None, version: int = 1, **extra: Any
) -> dict[str, Any]:
    data = {
        "id": id or new_id(),
        "version": version,
        "created_at": _now(),
        "updated_at": _now(),
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "owner_id": customer["owner_id"],
        "team_id": customer.get("team_id"),
        "name": name,
        "phones": [],
        "emails": [],
        "is_primary": False,
        **extra,
    }
    return contracts.Contact.model_validate(data).model_dump(mode="json")


def task_data(customer: dict[str, Any], title: str, assignee_id: str, *, version: int = 1) -> dict[str, Any]:
    data = {
        "id": new_id(),
        "version": version,
        "created_at": _now(),
        "updated_at": _now(),
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "owner_id": customer["owner_id"],
        "team_id": customer.get("team_id"),
        "title": title,
        "due_at": _now(),
        "assignee_id": assignee_id,
        "status": "open",
    }
    return contracts.Task.model_validate(data).model_dump(mode="json")


def follow_up_data(customer: dict[str, Any], content: str, author_id: str) -> dict[str, Any]:
    data = {
        "id": new_id(),
        "version": 1,
        "created_at": _now(),
        "updated_at": _now(),
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "owner_id": customer["owner_id"],
        "team_id": customer.get("team_id"),
        "channel": "call",
        "occurred_at": _now(),
        "author_id": author_id,
        "content": content,
    }
    return contracts.FollowUp.model_validate(data).model_dump(mode="json")


def event(kind: str, verb: str, data: dict[str, Any], *, version: int | None = None) -> Envelope:
    event_type = f"{kind}.{verb}"
    contracts.EVENT_SCHEMAS[event_type].model_validate(data)  # tests only send what producers may send
    return make_event(
        type=event_type,
        source="customers",
        aggregate_type=kind,
        aggregate_id=data["id"],
        version=version or data["version"],
        actor_id=data.get("owner_id", "system"),
        data=data,
        customer_id=data.get("customer_id", data["id"]),
    )


def deleted(kind: str, record: dict[str, Any], version: int) -> Envelope:
    customer_id = record.get("customer_id", record["id"])
    data = {"id": record["id"], "deleted": True, "customer_id": customer_id, "version": version}
    return event(kind, "deleted", data, version=version)


def bump(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**record, **changes, "version": record["version"] + 1, "updated_at": _now()}


# -- broker and settings -----------------------------------------------------------------
def settings_env(settings: SearchSettings) -> dict[str, str]:
    """The environment a subprocess needs to see the same servers, alias and queue."""
    return {
        "PANORAMA_ENVIRONMENT": "test",
        "PANORAMA_RABBITMQ_URL": settings.rabbitmq_url,
        "PANORAMA_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "PANORAMA_ELASTICSEARCH_USER": settings.elasticsearch_user,
        "PANORAMA_ELASTICSEARCH_PASSWORD": settings.elasticsearch_password,
        "PANORAMA_SEARCH_ALIAS": settings.search_alias,
        "PANORAMA_SEARCH_QUEUE": settings.search_queue,
        "PANORAMA_SEARCH_INDEXER_BACKOFF_MAX_SECONDS": str(settings.search_indexer_backoff_max_seconds),
    }


def queue_consumers(channel: Any, queue: str) -> int | None:
    """Consumer count of ``queue``, None if it does not exist (probed on a throwaway channel,
    because a failed passive declare closes the channel it ran on)."""
    probe = channel.connection.channel()
    try:
        return int(probe.queue_declare(queue, passive=True).method.consumer_count)
    except pika.exceptions.ChannelClosedByBroker:
        return None
    finally:
        if probe.is_open:
            probe.close()


# -- waiting --------------------------------------------------------------------------------
def wait_for(
    probe: Callable[[], T | None], timeout: float = 2.0, interval: float = 0.05, what: str = ""
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")
        time.sleep(interval)


# -- processes ------------------------------------------------------------------------------
def start_module(module: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    return start_process(["-m", module], env, log_path)


def start_process(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, **env, "PYTHONPATH": PYTHONPATH, "PANORAMA_LOG_JSON": "false"}
    log_file = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [sys.executable, *args], env=full_env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT
    )


def run_module(
    module: str, args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "PYTHONPATH": PYTHONPATH, "PANORAMA_LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        env=full_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            return -9
    return process.returncode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- ES outage without touching the shared ES -----------------------------------------------
class TcpProxy:
    """127.0.0.1:<port> → upstream; ``stop()`` refuses and cuts connections, ``start()`` heals."""

    def __init__(self, upstream: tuple[str, int], port: int | None = None) -> None:
        self.upstream = upstream
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = False

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._running = True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        self._running = False
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept(); shutdown() does.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select(timeout=1.0):
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.close()
