"""The SRE-facing monitoring files agree with the code: the committed Grafana dashboard is what
``deploy.grafana.dashboard`` renders, and every metric and label a panel or a Prometheus alert names
is one the processes export (a renamed metric would otherwise leave an empty panel or an alert
that can never fire)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from deploy.grafana import dashboard

ROOT = Path(__file__).resolve().parents[2]
# Every module that defines a panorama_* metric (each process imports its own at start).
METRIC_MODULES = (
    "kernel.relay",
    "kernel.uow",
    "kernel.nameko_ext",
    "kernel.event_handlers",
    "search.metrics",
    "search.indexer",
    "gateway.metrics",
    "gateway.main",
)
# Added by Prometheus to every series it scrapes, or by PromQL itself.
TARGET_LABELS = {"job", "instance", "le"}
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def exported() -> dict[str, set[str]]:
    """Metric name (as scraped, with each suffix) → its label names."""
    for module in METRIC_MODULES:
        importlib.import_module(module)
    found: dict[str, set[str]] = {}
    # The registry keeps label names only on the collectors (no public listing of them).
    for collector in list(REGISTRY._collector_to_names):
        name = getattr(collector, "_name", "")
        if name.startswith("panorama_"):
            labels = set(getattr(collector, "_labelnames", ()))
            for scraped in (name, *(name + suffix for suffix in SUFFIXES)):
                found[scraped] = labels
    return found


def referenced(expression: str) -> list[tuple[str, set[str]]]:
    """(metric, labels named about it: selectors and by/without clauses) in a PromQL expression."""
    found = []
    grouping = {
        label.strip()
        for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expression)
        for label in clause.split(",")
        if label.strip()
    }
    for metric, selector in re.findall(r"\b(panorama_[a-z_]+)(?:\{([^}]*)\})?", expression):
        labels = set(re.findall(r"([a-z_]+)\s*=~?", selector or "")) | grouping
        found.append((metric, labels))
    return found


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_committed_dashboard_is_the_rendered_one() -> None:
    committed = (ROOT / "deploy/grafana/dashboards/panorama.json").read_text()
    assert committed == dashboard.render(), (
        "run: python -m deploy.grafana.dashboard > deploy/grafana/dashboards/panorama.json"
    )


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_and_label_named_is_exported(source: str) -> None:
    metrics = exported()
    expressions = dashboard.expressions() if source == "dashboard" else alert_expressions()
    assert expressions
    problems = []
    for expression in expressions:
        for metric, labels in referenced(expression):
            if metric not in metrics:
                problems.append(f"{metric}: no such metric ({expression})")
            elif unknown := labels - metrics[metric] - TARGET_LABELS:
                problems.append(f"{metric}: no label {sorted(unknown)} ({expression})")
    assert problems == []


def test_the_check_catches_a_renamed_metric_and_a_wrong_label() -> None:
    metrics = exported()
    [(metric, labels)] = referenced('sum(rate(panorama_rpc_requests_total{outcom="error"}[5m])) by (service)')
    assert labels - metrics[metric] - TARGET_LABELS == {"outcom"}
    assert "panorama_rpc_request_total" not in metrics
