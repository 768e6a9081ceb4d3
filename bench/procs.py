"""The real Panorama processes the bench drives (indexer, outbox relay), started as subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pika
from pika.exceptions import AMQPError

from bench.settings import BenchSettings

REPO = Path(__file__).resolve().parent.parent
LOG_DIR = Path(__file__).resolve().parent / "results" / "logs"
# What follows ``python -m``: a module, or a module and its arguments.
Target = str | Sequence[str]
RELAY: Target = ("kernel.run", "customers", "relay")
INDEXER: Target = "search.indexer"


def _argv(target: Target) -> list[str]:
    return [sys.executable, "-m", *([target] if isinstance(target, str) else target)]


def indexer_env(settings: BenchSettings) -> dict[str, str]:
    """``python -m search.indexer`` on the bench vhost, writing to the bench alias."""
    return {
        "PANORAMA_RABBITMQ_URL": settings.rabbitmq_url,
        "PANORAMA_ELASTICSEARCH_URL": settings.elasticsearch_url,
        "PANORAMA_ELASTICSEARCH_USER": settings.elasticsearch_user,
        "PANORAMA_ELASTICSEARCH_PASSWORD": settings.elasticsearch_password,
        "PANORAMA_SEARCH_ALIAS": settings.bench_alias,
        "PANORAMA_SEARCH_QUEUE": settings.bench_queue,
        "PANORAMA_SEARCH_EXCHANGES": '["customers.events"]',
    }


def relay_env(settings: BenchSettings) -> dict[str, str]:
    """``python -m kernel.run customers relay`` for the bench customers database, on the bench vhost."""
    return {
        "PANORAMA_RABBITMQ_URL": settings.rabbitmq_url,
        "PANORAMA_CUSTOMERS_DATABASE_URL": settings.customers_database_url,
    }


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds the bench (``SystemExit``) so the ``finally`` that started its processes
    stops them: Python's default dies on the spot, and a bench stopped with ``kill`` left its
    services running, serving the next run's queues from the same database."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_exit)


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def start_module(target: Target, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    _exit_on_sigterm()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        **env,
        "PANORAMA_LOG_LEVEL": "WARNING",
        "PANORAMA_LOG_JSON": "false",
        "PYTHONUNBUFFERED": "1",
    }
    with open(LOG_DIR / f"{name}.log", "ab") as log:
        return subprocess.Popen(_argv(target), env=full_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def run_module(module: str, args: list[str], env: dict[str, str], timeout: float = 300.0) -> str:
    """``python -m module args`` to completion; its output, or RuntimeError with the output."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env={**os.environ, **env, "PANORAMA_LOG_JSON": "false"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        command = " ".join([module, *args])
        raise RuntimeError(f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM (both processes stop cleanly on it), SIGKILL if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


@contextmanager
def running(
    target: Target, env: dict[str, str], name: str, count: int = 1
) -> Iterator[list[subprocess.Popen[bytes]]]:
    processes = [start_module(target, env, f"{name}-{i + 1}") for i in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            stop(process)


def _probe(connection: pika.BlockingConnection, queue: str) -> Any:
    """``queue``'s declare-ok frame method; None when it does not exist yet (probed on a throwaway
    channel, since a failed passive declare closes its channel)."""
    probe = connection.channel()
    try:
        return probe.queue_declare(queue, passive=True).method
    except AMQPError:
        return None
    finally:
        if probe.is_open:
            probe.close()


def consumer_count(connection: pika.BlockingConnection, queue: str) -> int | None:
    """Consumers on ``queue``; None when it does not exist yet."""
    method = _probe(connection, queue)
    return None if method is None else int(method.consumer_count)


def message_count(connection: pika.BlockingConnection, queue: str) -> int | None:
    """Messages ready in ``queue``; None when it does not exist yet."""
    method = _probe(connection, queue)
    return None if method is None else int(method.message_count)


def require_alive(processes: list[subprocess.Popen[bytes]], what: str) -> None:
    for process in processes:
        if process.poll() is not None:
            raise RuntimeError(f"{what} (pid {process.pid}) exited with {process.returncode}; see {LOG_DIR}/")
