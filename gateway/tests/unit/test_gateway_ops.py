"""Health, readiness, metrics, correlation ids, and the catch-all error handling."""

from __future__ import annotations

import logging

from gateway_fakes import FakeRpc


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"rabbitmq": "ok", "database": "ok"}
    assert response.json()["services"] == {"customers": "ok", "search": "ok"}


def test_readyz_lists_what_is_not_ready(client, rpc: FakeRpc, store):
    rpc.down.add("search")
    store.healthy = False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["not_ready"] == ["database"]
    assert response.json()["services"]["search"] == "down"


def test_readyz_needs_the_broker_connection(client, rpc: FakeRpc):
    rpc.connected = False
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["not_ready"] == ["rabbitmq"]


def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces\n"})
    assert generated.headers["x-request-id"] != "bad id with spaces\n"
    assert len(generated.headers["x-request-id"]) == 36


def test_correlation_id_is_forwarded_to_rpc_and_logged(client, sales1, token_for, rpc, caplog):
    from gateway.context import install_log_filter

    with caplog.at_level(logging.INFO, logger="gateway.access"):
        install_log_filter()
        response = client.get("/api/v1/customers", headers={**token_for(sales1), "X-Request-ID": "trace-me"})
    assert response.status_code == 200
    access = [r for r in caplog.records if r.name == "gateway.access"]
    assert access and access[-1].route == "/api/v1/customers" and access[-1].status == 200


def test_problem_carries_the_correlation_id(client):
    response = client.get("/api/v1/nowhere", headers={"X-Request-ID": "find-me"})
    assert response.status_code == 404
    assert response.json()["correlation_id"] == "find-me"


def test_metrics_are_labelled_by_route_template(client, sales1, token_for):
    client.get("/api/v1/customers/some-id", headers=token_for(sales1))
    client.get("/api/v1/customers/other-id", headers=token_for(sales1))
    text = client.get("/metrics").text
    assert (
        'panorama_gateway_http_requests_total{method="GET",route="/api/v1/customers/{customer_id}",status="404"}'
        in text
    )
    assert "some-id" not in text
    assert "panorama_gateway_http_request_duration_seconds_bucket" in text


def test_unknown_routes_are_labelled_unmatched(client):
    client.get("/api/v1/definitely/not/here")
    assert 'route="<unmatched>"' in client.get("/metrics").text


def test_method_not_allowed_is_a_problem_with_allow(client):
    response = client.put("/api/v1/customers")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert "GET" in response.headers["allow"]


def test_an_unexpected_crash_is_a_bare_500_problem(client, sales1, token_for, rpc):
    rpc.failures[("customers", "list_customers")] = ZeroDivisionError("secret internals")
    response = client.get("/api/v1/customers", headers=token_for(sales1))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"]


def test_openapi_documents_every_api_route_and_problem_responses(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/transfer",
        "/api/v1/customers/{customer_id}/audit",
        "/api/v1/customers/{customer_id}/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/customers/{customer_id}/follow-ups",
        "/api/v1/follow-ups/{follow_up_id}",
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/search",
        "/api/v1/search/suggest",
        "/api/v1/users",
        "/api/v1/teams",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in paths, path
    patch = paths["/api/v1/customers/{customer_id}"]["patch"]
    assert {"404", "409", "422", "503"} <= set(patch["responses"])
    assert "application/problem+json" in patch["responses"]["409"]["content"]
    assert not any(p.startswith(("/login", "/customers", "/ui")) for p in paths)
    assert "OAuth2PasswordBearer" in schema["components"]["securitySchemes"]


def test_docs_page(client):
    assert client.get("/docs").status_code == 200


def test_requests_refused_before_routing_keep_their_route_label(client, settings):
    client.post("/api/v1/customers", content=b"x" * (settings.max_body_bytes + 1))
    metrics = client.get("/metrics").text
    assert (
        'panorama_gateway_http_requests_total{method="POST",route="/api/v1/customers",status="413"}'
        in metrics
    )
