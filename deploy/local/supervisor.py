"""``make run``: migrate, start every Panorama process, load demo data, supervise until Ctrl-C.

What runs comes from the service registry (services/kernel/kernel/registry.py): each service's
``kernel.run <service> migrate`` step, then its nameko service, its outbox relay and its extra
processes, each with its metrics port; the gateway last.

Processes that die are restarted with backoff; Ctrl-C (or SIGTERM) stops them all cleanly,
escalating to SIGKILL only for a process that ignores SIGTERM for 15 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from gateway.readiness import stack_ready
from gateway.settings import GatewaySettings
from kernel import registry

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = Path(os.environ.get("PANORAMA_LOG_DIR", ROOT / ".state" / "logs"))


@dataclass
class Managed:
    name: str
    argv: tuple[str, ...]  # after the interpreter: ("-m", "kernel.run", "customers", "service")
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(LOG_DIR / f"{self.name}.log", "ab")  # noqa: SIM115 (handed to the child)
        self.process = subprocess.Popen(
            [sys.executable, *self.argv],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def processes() -> list[Managed]:
    return [Managed(launch.name, launch.argv, dict(launch.env)) for launch in registry.launches()]


def metrics_summary() -> str:
    ports = sorted(port for port in registry.metrics_ports() if port != registry.GATEWAY.port)
    return ", ".join(f"127.0.0.1:{port}" for port in ports)


def run_step(title: str, *args: str) -> None:
    print(f"[panorama] {title}…", flush=True)
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True)


def wait_ready(url: str, timeout: float) -> None:
    """Wait until the gateway reports RabbitMQ and every service ready."""
    print("[panorama] waiting for the services to answer…", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if stack_ready(response.status, json.loads(response.read() or b"null")):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not become ready within {timeout:.0f}s")


def stop_all(processes: list[Managed]) -> None:
    for managed in reversed(processes):
        if managed.alive():
            assert managed.process is not None
            managed.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for managed in reversed(processes):
        if managed.process is None:
            continue
        try:
            managed.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            managed.process.kill()
            managed.process.wait()


def main() -> int:
    settings = GatewaySettings()
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    for title, argv in registry.migrate_steps():
        run_step(title, *argv)
    managed_processes = processes()
    for managed in managed_processes:
        managed.start()
    print(f"[panorama] started {', '.join(p.name for p in managed_processes)}; logs in {LOG_DIR}", flush=True)
    try:
        wait_ready(f"http://{settings.host}:{settings.port}/readyz", timeout=120)
        run_step("loading demo data (idempotent)", "-m", "gateway.cli", "seed-demo")
    except (subprocess.CalledProcessError, TimeoutError):
        print("[panorama] demo data could not be loaded; see the logs", flush=True)
        stop_all(managed_processes)
        return 1
    password = settings.demo_password
    print(
        f"\n  Panorama is ready: http://{settings.host}:{settings.port}/\n"
        f"  API docs:          http://{settings.host}:{settings.port}/docs\n"
        f"  Demo logins (password '{password}'): admin, manager, sales1, sales2, finance, finmgr, support\n"
        f"  Metrics:           http://{settings.host}:{settings.port}/metrics  "
        f"(services on {metrics_summary()})\n"
        "  Ctrl-C stops everything.\n",
        flush=True,
    )
    while not stopping:
        now = time.monotonic()
        for managed in managed_processes:
            if managed.process is None or managed.alive():
                continue
            code = managed.process.returncode
            managed.restarts += 1
            delay = min(30.0, 2.0 ** min(managed.restarts, 5))
            print(f"[panorama] {managed.name} exited ({code}); restarting in {delay:.0f}s", flush=True)
            managed.next_start = now + delay
            managed.process = None
        for managed in managed_processes:
            if managed.process is None and now >= managed.next_start:
                managed.start()
        time.sleep(0.5)
    print("\n[panorama] stopping…", flush=True)
    stop_all(managed_processes)
    print("[panorama] stopped. The servers keep running; `make stop` stops them too.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
