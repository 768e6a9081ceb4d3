"""The Grafana dashboard for SREs, written as data: ``python -m deploy.grafana.dashboard`` prints
``deploy/grafana/dashboards/panorama.json`` (a test keeps the file and this module in step, and
checks every metric and label a panel or an alert names against the metrics the code defines).

One row per question an on-call engineer asks: is the front door healthy (gateway), are the
services answering (RPC), are events flowing (outboxes, consumers), is search fresh (indexer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

UID = "panorama-overview"
RATE = "5m"


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def p(quantile: float, histogram: str, by: str) -> str:
    return f"histogram_quantile({quantile}, sum(rate({histogram}_bucket[{RATE}])) by (le, {by}))"


ROWS = (
    Row(
        "Gateway (the front door)",
        (
            Panel(
                "Requests/s by route",
                (
                    (
                        f"sum(rate(panorama_gateway_http_requests_total[{RATE}])) by (method, route)",
                        "{{method}} {{route}}",
                    ),
                ),
                "reqps",
            ),
            Panel(
                "5xx share of requests",
                (
                    (
                        f'sum(rate(panorama_gateway_http_requests_total{{status=~"5.."}}[{RATE}]))'
                        f" / sum(rate(panorama_gateway_http_requests_total[{RATE}]))",
                        "5xx",
                    ),
                ),
                "percentunit",
                description="A 5xx is a defect: bad input gets a 4xx naming the field.",
            ),
            Panel(
                "p95 latency by route",
                (
                    (
                        p(0.95, "panorama_gateway_http_request_duration_seconds", "method, route"),
                        "{{method}} {{route}}",
                    ),
                ),
                "s",
            ),
            Panel(
                "RPC to the services",
                (
                    ("min(panorama_gateway_rpc_connected)", "connected (1 = yes)"),
                    (f"sum(rate(panorama_gateway_rpc_reconnects_total[{RATE}]))", "reconnects/s"),
                    (f"sum(rate(panorama_gateway_rpc_late_replies_total[{RATE}]))", "late replies/s"),
                ),
                description="Late replies answered a call the gateway had already given up on (504).",
            ),
            Panel(
                "Login failures/s and users waiting to reach the services",
                (
                    (
                        f"sum(rate(panorama_gateway_login_failures_total[{RATE}])) by (reason)",
                        "failed: {{reason}}",
                    ),
                    ("sum(panorama_gateway_user_sync_pending)", "user changes not yet replicated"),
                ),
            ),
        ),
    ),
    Row(
        "Services (nameko RPC)",
        (
            Panel(
                "Calls/s by service",
                ((f"sum(rate(panorama_rpc_requests_total[{RATE}])) by (service)", "{{service}}"),),
                "reqps",
            ),
            Panel(
                "Unexpected errors/s",
                (
                    (
                        f'sum(rate(panorama_rpc_requests_total{{outcome="error"}}[{RATE}]))'
                        " by (service, method)",
                        "{{service}}.{{method}}",
                    ),
                ),
                "reqps",
                description="Domain refusals (validation, permission, conflict) are not errors here.",
            ),
            Panel(
                "p95 duration by method",
                ((p(0.95, "panorama_rpc_duration_seconds", "service, method"), "{{service}}.{{method}}"),),
                "s",
            ),
            Panel(
                "Unit-of-work retries/s (deadlock, serialization; stale guarded write)",
                (
                    (
                        f"sum(rate(panorama_uow_retries_total[{RATE}])) by (job, sqlstate)",
                        "{{job}} {{sqlstate}}",
                    ),
                    (
                        f"sum(rate(panorama_uow_guard_misses_total[{RATE}])) by (job)",
                        "{{job}} guard miss",
                    ),
                ),
            ),
        ),
    ),
    Row(
        "Events (outbox → RabbitMQ → consumers)",
        (
            Panel(
                "Outbox backlog",
                (("sum(panorama_outbox_backlog_events) by (service)", "{{service}}"),),
                description="Rows committed and not yet confirmed by the broker; alert above 1,000.",
                thresholds=(1000,),
            ),
            Panel(
                "Publish lag p99 (commit → broker confirm)",
                ((p(0.99, "panorama_outbox_publish_lag_seconds", "service"), "{{service}}"),),
                "s",
            ),
            Panel(
                "Published, returned, nacked events/s",
                (
                    (
                        f"sum(rate(panorama_outbox_published_events_total[{RATE}])) by (service)",
                        "published {{service}}",
                    ),
                    (
                        f"sum(rate(panorama_outbox_returned_events_total[{RATE}])) by (service)",
                        "returned {{service}}",
                    ),
                    (
                        f"sum(rate(panorama_outbox_nacked_events_total[{RATE}])) by (service)",
                        "nacked {{service}}",
                    ),
                    (
                        f"sum(rate(panorama_outbox_relay_errors_total[{RATE}])) by (service)",
                        "relay errors {{service}}",
                    ),
                ),
                "ops",
                description="Returned: neither a queue nor panorama.unrouted took it (kept, retried).",
            ),
            Panel(
                "Consumed events/s by outcome",
                (
                    (
                        f"sum(rate(panorama_events_consumed_total[{RATE}])) by (service, outcome)",
                        "{{service}} {{outcome}}",
                    ),
                ),
                "ops",
                description="dead_lettered: in <queue>.dlq with the reason in x-panorama-reason.",
            ),
        ),
    ),
    Row(
        "Search (indexer → Elasticsearch)",
        (
            Panel(
                "Freshness: write → searchable p50 / p99",
                (
                    (p(0.5, "panorama_search_indexer_lag_seconds", "job"), "p50"),
                    (p(0.99, "panorama_search_indexer_lag_seconds", "job"), "p99"),
                ),
                "s",
                description="Target p99 ≤ 1.5 s (alert SearchFreshnessSlow).",
                thresholds=(1.5,),
            ),
            Panel(
                "Indexed events/s by outcome",
                ((f"sum(rate(panorama_search_indexer_events_total[{RATE}])) by (outcome)", "{{outcome}}"),),
                "ops",
            ),
            Panel(
                "Bulk batch size p50 and Elasticsearch retries/s",
                (
                    (p(0.5, "panorama_search_indexer_batch_size", "job"), "batch p50"),
                    (f"sum(rate(panorama_search_indexer_es_retries_total[{RATE}]))", "ES retries/s"),
                ),
            ),
            Panel(
                "Dead letters waiting",
                (("sum(panorama_search_dlq_depth)", "search.indexer.dlq"),),
                kind="stat",
                description="python -m search.dlq list, then requeue once the cause is fixed.",
                thresholds=(1,),
            ),
        ),
    ),
)


def expressions() -> list[str]:
    return [query for row in ROWS for panel in row.panels for query, _ in panel.queries]


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": "red", "value": value} for value in panel.thresholds]
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {
            "defaults": {"unit": panel.unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {"refId": chr(ord("A") + n), "expr": query, "legendFormat": legend}
            for n, (query, legend) in enumerate(panel.queries)
        ],
    }


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for row in ROWS:
        panels.append(
            {"id": len(panels) + 1, "type": "row", "title": row.title, "collapsed": False,
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}
        )  # fmt: skip
        y += 1
        for n, panel in enumerate(row.panels):
            panels.append(_panel(panel, len(panels) + 1, 12 * (n % 2), y + 8 * (n // 2)))
        y += 8 * -(-len(row.panels) // 2)
    return {
        "uid": UID,
        "title": "Panorama CRM",
        "tags": ["panorama"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}
            ]
        },
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(render(), end="")
