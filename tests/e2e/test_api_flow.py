"""Through the gateway's REST API, on the whole real stack: write → searchable, permissions."""

from __future__ import annotations

import uuid

import httpx
from e2e_stack import Stack
from kernel.testing import eventually


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=10
    )


def search(api: httpx.Client, q: str, **params: str) -> list[dict]:
    response = api.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_demo_customer_is_found_by_partial_chinese_name(stack: Stack):
    with client(stack, "sales1") as api:
        hits = eventually(lambda: search(api, "科技"), timeout=10)
        assert any(hit["title"] == "A科技有限公司" for hit in hits)


def test_created_customer_is_searchable_within_two_seconds_and_acl_holds(stack: Stack):
    name = f"端到端测试{uuid.uuid4().hex[:6]}有限公司"
    with (
        client(stack, "sales1") as sales1,
        client(stack, "sales2") as sales2,
        client(stack, "admin") as admin,
    ):
        created = sales1.post("/api/v1/customers", json={"name": name, "tags": ["e2e"]})
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        hits = eventually(lambda: [h for h in search(sales1, name) if h["id"] == customer_id], timeout=2.0)
        assert hits[0]["kind"] == "customer"
        assert [h for h in search(admin, name) if h["id"] == customer_id]
        assert not [h for h in search(sales2, name) if h["customer_id"] == customer_id]
        assert sales2.get(f"/api/v1/customers/{customer_id}").status_code == 404

        # Update and delete are reflected too.
        etag = created.headers.get("ETag")
        renamed = sales1.patch(
            f"/api/v1/customers/{customer_id}",
            json={"name": name + "集团"},
            headers={"If-Match": etag or '"1"'},
        )
        assert renamed.status_code == 200, renamed.text
        eventually(
            lambda: [h for h in search(sales1, name + "集团") if h["title"] == name + "集团"], timeout=3
        )
        stale = sales1.patch(
            f"/api/v1/customers/{customer_id}", json={"status": "active"}, headers={"If-Match": '"1"'}
        )
        assert stale.status_code == 409
        assert sales1.delete(f"/api/v1/customers/{customer_id}").status_code in (200, 204)
        eventually(lambda: not [h for h in search(sales1, name) if h["id"] == customer_id], timeout=3)


def test_bad_input_is_a_problem_naming_the_field(stack: Stack):
    with client(stack, "sales1") as api:
        # One caught by the gateway's schema, one by the service's domain rules: same shape.
        for body, field in (
            ({"name": ""}, "name"),
            ({"name": "校验测试有限公司", "tax_id": "bogus"}, "tax_id"),
        ):
            response = api.post("/api/v1/customers", json=body)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}
