"""Prometheus metrics of the gateway (names follow ``panorama_<subsystem>_<name>_<unit>``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUESTS = Counter(
    "panorama_gateway_http_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "panorama_gateway_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
RPC_DURATION = Histogram(
    "panorama_gateway_rpc_duration_seconds",
    "RPC client latency by outcome (ok, a domain error type, timeout, unavailable, error)",
    ["service", "method", "outcome"],
    buckets=_LATENCY_BUCKETS,
)
RPC_LATE_REPLIES = Counter(
    "panorama_gateway_rpc_late_replies_total",
    "Replies that arrived after their caller gave up (dropped)",
)
RPC_RECONNECTS = Counter(
    "panorama_gateway_rpc_reconnects_total",
    "Broker (re)connections made by the RPC client",
)
RPC_CONNECTED = Gauge("panorama_gateway_rpc_connected", "1 while the RPC client holds a broker connection")
LOGIN_FAILURES = Counter(
    "panorama_gateway_login_failures_total",
    "Failed logins by reason",
    ["reason"],
)
USER_SYNC_PENDING = Gauge(
    "panorama_gateway_user_sync_pending",
    "1 while users still have to be replicated to the customers service",
)
