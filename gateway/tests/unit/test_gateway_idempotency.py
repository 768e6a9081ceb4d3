"""``Idempotency-Key`` on creates (issue 8 §2.10) and signed cursors through the API (§2.9)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from gateway.idempotency import Claimed, InFlight, MemoryIdempotencyStore, Mismatch, Replay, StoredResponse
from gateway.rpc_errors import RpcTimeout
from kernel.clock import utcnow
from kernel.cursor import encode_cursor
from kernel.errors import ValidationError
from kernel.signing import keys_from


@pytest.fixture
def as_sales1(client, sales1, token_for):
    return token_for(sales1)


@pytest.fixture
def customer_id(client, as_sales1):
    response = client.post("/api/v1/customers", json={"name": "幂等科技有限公司"}, headers=as_sales1)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def writes(customer_id: str) -> dict[str, tuple[str, str, dict]]:
    """kind -> (RPC method, path, body) of each create that takes an Idempotency-Key."""
    return {
        "customer": ("create_customer", "/api/v1/customers", {"name": "重试科技有限公司"}),
        "contact": ("create_contact", f"/api/v1/customers/{customer_id}/contacts", {"name": "张伟"}),
        "follow_up": (
            "create_follow_up",
            f"/api/v1/customers/{customer_id}/follow-ups",
            {"channel": "call", "content": "电话沟通"},
        ),
        "task": (
            "create_task",
            "/api/v1/tasks",
            {"customer_id": customer_id, "title": "发送报价", "due_at": "2030-01-01T10:00:00+08:00"},
        ),
    }


@pytest.mark.parametrize("kind", ["customer", "contact", "follow_up", "task"])
def test_a_retry_with_the_same_key_replays_the_first_answer(client, as_sales1, rpc, customer_id, kind):
    method, path, body = writes(customer_id)[kind]
    headers = {**as_sales1, "Idempotency-Key": f"retry-{kind}-1"}
    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert len(rpc.calls_to(method)) == 1 + (kind == "customer")  # the fixture created one customer
    other_body = {**body, "name": "另一家有限公司"} if kind == "customer" else body
    other = client.post(path, json=other_body, headers={**as_sales1, "Idempotency-Key": f"retry-{kind}-2"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_without_a_key_every_post_writes(client, as_sales1, rpc):
    for name in ("无键科技", "无键贸易"):
        assert client.post("/api/v1/customers", json={"name": name}, headers=as_sales1).status_code == 201
    assert len(rpc.calls_to("create_customer")) == 2


def test_the_same_key_with_another_request_is_422_naming_the_header(client, as_sales1, rpc):
    headers = {**as_sales1, "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/customers", json={"name": "甲"}, headers=headers).status_code == 201
    for path, body in (
        ("/api/v1/customers", {"name": "乙"}),
        ("/api/v1/customers?force=true", {"name": "甲"}),
    ):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(rpc.calls_to("create_customer")) == 1


def test_keys_belong_to_their_user(client, as_sales1, sales2, token_for):
    mine = client.post(
        "/api/v1/customers", json={"name": "甲方"}, headers={**as_sales1, "Idempotency-Key": "shared"}
    )
    theirs = client.post(
        "/api/v1/customers", json={"name": "乙方"}, headers={**token_for(sales2), "Idempotency-Key": "shared"}
    )
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"] and "idempotent-replayed" not in theirs.headers


def test_a_retry_after_a_timeout_is_409_while_the_first_may_still_run(client, as_sales1, rpc):
    headers = {**as_sales1, "Idempotency-Key": "slow-1"}
    rpc.failures[("customers", "create_customer")] = RpcTimeout("customers", "create_customer", 10)
    assert client.post("/api/v1/customers", json={"name": "慢"}, headers=headers).status_code == 504
    del rpc.failures[("customers", "create_customer")]
    busy = client.post("/api/v1/customers", json={"name": "慢"}, headers=headers)
    assert busy.status_code == 409, busy.text
    assert busy.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_refused_write_frees_its_key(client, as_sales1, rpc):
    headers = {**as_sales1, "Idempotency-Key": "refused-1"}
    rpc.failures[("customers", "create_customer")] = ValidationError.for_field("name", "taken")
    assert client.post("/api/v1/customers", json={"name": "丙"}, headers=headers).status_code == 422
    del rpc.failures[("customers", "create_customer")]
    assert client.post("/api/v1/customers", json={"name": "丙"}, headers=headers).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "with space"])
def test_a_malformed_key_is_422_naming_the_header(client, as_sales1, rpc, key):
    response = client.post(
        "/api/v1/customers", json={"name": "丁"}, headers={**as_sales1, "Idempotency-Key": key}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert rpc.calls_to("create_customer") == []


def test_openapi_documents_the_header(client):
    spec = client.get("/openapi.json").json()
    for path, verb in (
        ("/api/v1/customers", "post"),
        ("/api/v1/customers/{customer_id}/contacts", "post"),
        ("/api/v1/customers/{customer_id}/follow-ups", "post"),
        ("/api/v1/tasks", "post"),
    ):
        names = [p["name"] for p in spec["paths"][path][verb]["parameters"] if p["in"] == "header"]
        assert "Idempotency-Key" in names, (path, names)


def test_memory_store_lifecycle():
    store = MemoryIdempotencyStore()
    now, lease, ttl = utcnow(), timedelta(seconds=20), timedelta(hours=24)
    answer = StoredResponse(201, {"location": "/x"}, b"{}")
    assert store.begin("u", "k", "f1", now=now, lease=lease, ttl=ttl) == Claimed()
    assert store.begin("u", "k", "f1", now=now, lease=lease, ttl=ttl) == InFlight()
    assert store.begin("u", "k", "f1", now=now + lease * 2, lease=lease, ttl=ttl) == Claimed()  # abandoned
    store.finish("u", "k", answer)
    assert store.begin("u", "k", "f1", now=now, lease=lease, ttl=ttl) == Replay(answer)
    assert store.begin("u", "k", "f2", now=now, lease=lease, ttl=ttl) == Mismatch()
    store.release("u", "k")  # a finished key is never released
    expired = now + lease * 2 + ttl
    assert store.begin("u", "k", "f1", now=expired, lease=lease, ttl=ttl) == Claimed()


def test_forged_cursors_are_422_naming_cursor(client, as_sales1, customer_id):
    foreign = keys_from("another-deployment-s-identity-key-0123456789", 90)
    forged = encode_cursor({"offset": 1}, keys=foreign)
    for path, query in (
        (f"/api/v1/customers/{customer_id}/follow-ups", {}),
        ("/api/v1/customers", {}),
        ("/api/v1/search", {"q": "科技"}),
    ):
        for bad in (forged, "bm90LXNpZ25lZA", "eyJvZmZzZXQiOiAxfQ.AAAA"):
            response = client.get(path, params={**query, "cursor": bad}, headers=as_sales1)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["errors"][0]["field"] == "cursor"
