"""What the numbers were measured on: machine and server versions, printed above the tables."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pika
import psycopg2
from elasticsearch import Elasticsearch

from bench import pgbaseline


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)
    except OSError:
        pass
    return float("nan")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def elasticsearch_info(es: Elasticsearch) -> dict[str, Any]:
    # GET / is not allowed for the local file-realm user; the local node's info is.
    nodes = es.nodes.info(node_id="_local", metric=["jvm"]).body["nodes"]
    node = next(iter(nodes.values()))
    heap = node.get("jvm", {}).get("mem", {}).get("heap_max_in_bytes", 0)
    return {"version": node.get("version", "?"), "heap_gib": round(heap / 1024**3, 1)}


def rabbitmq_version(url: str) -> str:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        props = connection._impl.server_properties  # the broker's connection.start properties
        version = props.get("version", b"?")
        return version.decode() if isinstance(version, bytes) else str(version)
    finally:
        connection.close()


def postgres_info(dsn: str) -> dict[str, str]:
    conn = psycopg2.connect(dsn)
    try:
        return pgbaseline.server_settings(conn)
    finally:
        conn.close()


def collect(es: Elasticsearch, amqp_url: str, pg_dsn: str) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(_memory_gib(), 1),
        # Other work on the machine (tests of other engineers, say) shows up here.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "elasticsearch": elasticsearch_info(es),
        "postgresql": postgres_info(pg_dsn),
        "rabbitmq": rabbitmq_version(amqp_url),
    }
