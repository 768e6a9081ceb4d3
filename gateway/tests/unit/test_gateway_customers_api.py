"""The customer hub through REST: paging, ETag/If-Match, nested resources, roles, transfer, audit."""

from __future__ import annotations

import pytest
from gateway.rpc_errors import RemoteServiceError
from kernel.errors import Conflict
from kernel.identity import Caller


@pytest.fixture
def as_sales1(client, sales1, token_for):
    return token_for(sales1)


def create(client, headers, name="A科技有限公司", **fields):
    response = client.post("/api/v1/customers", json={"name": name, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response


def test_create_returns_201_with_location_and_etag(client, as_sales1, sales1, rpc):
    response = create(client, as_sales1, tags=["制造业", "华东"], status="active")
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/customers/{body['id']}"
    assert body["owner_id"] == sales1.id
    assert body["tags"] == ["制造业", "华东"]
    # The caller travels with the call: the service decides with the gateway's identity.
    sent = rpc.calls_to("create_customer")[0]
    assert Caller.from_payload(sent["caller"]) == Caller(sales1.id, ("sales",), sales1.team_id)
    assert "owner_id" not in sent["data"]


def test_get_carries_etag(client, as_sales1):
    created = create(client, as_sales1).json()
    response = client.get(f"/api/v1/customers/{created['id']}", headers=as_sales1)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'


def test_patch_with_if_match_bumps_version_and_stale_if_match_is_409(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    ok = client.patch(
        f"/api/v1/customers/{cid}", json={"industry": "软件"}, headers={**as_sales1, "If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    assert ok.json()["industry"] == "软件"

    stale = client.patch(
        f"/api/v1/customers/{cid}", json={"industry": "硬件"}, headers={**as_sales1, "If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["type"] == "urn:panorama:problem:conflict"
    assert stale.json()["errors"][0]["field"] == "version"


def test_version_in_body_works_like_if_match(client, as_sales1, rpc):
    cid = create(client, as_sales1).json()["id"]
    assert (
        client.patch(
            f"/api/v1/customers/{cid}", json={"region": "上海", "version": 1}, headers=as_sales1
        ).status_code
        == 200
    )
    assert rpc.calls_to("update_customer")[-1]["expected_version"] == 1
    assert rpc.calls_to("update_customer")[-1]["changes"] == {"region": "上海"}
    stale = client.patch(f"/api/v1/customers/{cid}", json={"region": "北京", "version": 1}, headers=as_sales1)
    assert stale.status_code == 409


def test_if_match_and_body_version_must_agree(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.patch(
        f"/api/v1/customers/{cid}",
        json={"region": "上海", "version": 2},
        headers={**as_sales1, "If-Match": '"1"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "version", "message": "disagrees with the If-Match header"}
    ]


def test_malformed_if_match_is_named(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.patch(
        f"/api/v1/customers/{cid}", json={"region": "x"}, headers={**as_sales1, "If-Match": "v1"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "If-Match"


def test_patch_null_clears_a_field(client, as_sales1, rpc):
    cid = create(client, as_sales1, industry="软件").json()["id"]
    response = client.patch(f"/api/v1/customers/{cid}", json={"industry": None}, headers=as_sales1)
    assert response.status_code == 200
    assert response.json()["industry"] is None


def test_unknown_field_is_422_naming_it(client, as_sales1):
    response = client.post("/api/v1/customers", json={"name": "x", "colour": "red"}, headers=as_sales1)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [{"field": "colour", "message": "is not a known field"}]


def test_owner_cannot_be_changed_by_patch(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.patch(f"/api/v1/customers/{cid}", json={"owner_id": "someone"}, headers=as_sales1)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_id"


def test_too_long_and_wrong_type_fields_are_named(client, as_sales1):
    response = client.post(
        "/api/v1/customers",
        json={"name": "x" * 201, "tags": "not-a-list", "status": "gone"},
        headers=as_sales1,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "tags", "status"} <= fields


def test_malformed_json_is_400(client, as_sales1):
    response = client.post(
        "/api/v1/customers",
        content=b'{"name": "x",',
        headers={**as_sales1, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Malformed request"


def test_oversize_body_is_413_problem(client, as_sales1, settings):
    big = "x" * (settings.max_body_bytes + 10)
    response = client.post("/api/v1/customers", json={"name": big}, headers=as_sales1)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413


def test_oversize_chunked_body_is_413_problem(client, as_sales1, settings):
    def chunks():
        for _ in range(settings.max_body_bytes // 1000 + 5):
            yield b"x" * 1000

    response = client.post(
        "/api/v1/customers", content=chunks(), headers={**as_sales1, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_domain_validation_error_from_the_service_keeps_its_fields(client, as_sales1, rpc):
    from kernel.errors import ValidationError

    rpc.failures[("customers", "create_customer")] = ValidationError(
        "tax_id: bad check digit", [{"field": "tax_id", "message": "bad check digit"}]
    )
    response = client.post(
        "/api/v1/customers", json={"name": "x", "tax_id": "91310000MA1FL0000X"}, headers=as_sales1
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "tax_id", "message": "bad check digit"}]
    assert response.json()["detail"] == "tax_id: bad check digit"


def test_duplicate_warning_is_409_and_force_creates_anyway(client, as_sales1, rpc):
    create(client, as_sales1, name="B贸易")
    response = client.post("/api/v1/customers", json={"name": "B贸易"}, headers=as_sales1)
    assert response.status_code == 409
    forced = client.post("/api/v1/customers?force=true", json={"name": "B贸易"}, headers=as_sales1)
    assert forced.status_code == 201
    assert rpc.calls_to("create_customer")[-1]["force"] is True


def test_not_found_is_404_problem(client, as_sales1):
    response = client.get("/api/v1/customers/nope", headers=as_sales1)
    assert response.status_code == 404
    assert response.json()["type"] == "urn:panorama:problem:not-found"


def test_other_salespeoples_customers_are_invisible(client, sales1, sales2, token_for):
    cid = create(client, token_for(sales1)).json()["id"]
    assert client.get(f"/api/v1/customers/{cid}", headers=token_for(sales2)).status_code == 404
    listed = client.get("/api/v1/customers", headers=token_for(sales2)).json()
    assert listed["items"] == []


def test_list_filters_and_cursor_paging(client, as_sales1, rpc, sales1):
    for i in range(5):
        create(
            client,
            as_sales1,
            name=f"客户{i}",
            status="active" if i % 2 else "prospect",
            tags=["t"] if i < 2 else [],
        )
    first = client.get("/api/v1/customers?limit=2", headers=as_sales1).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/v1/customers?limit=2&cursor={first['next_cursor']}", headers=as_sales1).json()
    assert {c["id"] for c in first["items"]}.isdisjoint({c["id"] for c in second["items"]})

    client.get("/api/v1/customers?owner=me&status=active&tag=t&q=客户", headers=as_sales1)
    assert rpc.calls_to("list_customers")[-1]["filters"] == {
        "owner_id": sales1.id,
        "status": "active",
        "tag": "t",
        "q": "客户",
    }


def test_limit_out_of_range_is_422(client, as_sales1):
    response = client.get("/api/v1/customers?limit=0", headers=as_sales1)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_delete_with_if_match(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    assert (
        client.delete(f"/api/v1/customers/{cid}", headers={**as_sales1, "If-Match": '"7"'}).status_code == 409
    )
    assert (
        client.delete(f"/api/v1/customers/{cid}", headers={**as_sales1, "If-Match": '"1"'}).status_code == 204
    )
    assert client.get(f"/api/v1/customers/{cid}", headers=as_sales1).status_code == 404


def test_finance_reads_but_cannot_write(client, finance, token_for, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    headers = token_for(finance)
    assert client.get(f"/api/v1/customers/{cid}", headers=headers).status_code == 200
    denied = client.post("/api/v1/customers", json={"name": "x"}, headers=headers)
    assert denied.status_code == 403
    assert denied.json()["type"] == "urn:panorama:problem:permission-denied"
    assert client.get(f"/api/v1/customers/{cid}/follow-ups", headers=headers).status_code == 403


def test_finance_reads_the_contacts_search_shows_it(client, finance, token_for, as_sales1):
    # Contacts are customer basics (how finance reaches the payer): the API agrees with search,
    # which lists them to finance (issue 8 §2.5); writing them stays with the sellers.
    cid = create(client, as_sales1).json()["id"]
    contact = client.post(
        f"/api/v1/customers/{cid}/contacts", json={"name": "张总"}, headers=as_sales1
    ).json()
    headers = token_for(finance)
    listed = client.get(f"/api/v1/customers/{cid}/contacts", headers=headers)
    assert listed.status_code == 200 and [c["id"] for c in listed.json()["items"]] == [contact["id"]]
    assert client.get(f"/api/v1/contacts/{contact['id']}", headers=headers).status_code == 200
    denied = client.post(f"/api/v1/customers/{cid}/contacts", json={"name": "李工"}, headers=headers)
    assert denied.status_code == 403


def test_user_without_roles_is_denied_everything(client, make_user, token_for):
    nobody = make_user("nobody", [])
    headers = token_for(nobody)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/customers", headers=headers).status_code == 403
    assert client.get("/api/v1/search?q=x", headers=headers).status_code == 403


def test_contacts_nested_create_then_by_id(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.post(
        f"/api/v1/customers/{cid}/contacts",
        json={"name": "张伟", "title": "总经理", "role": "decision_maker", "phones": ["13800138000"]},
        headers=as_sales1,
    )
    assert response.status_code == 201
    contact = response.json()
    assert response.headers["location"] == f"/api/v1/contacts/{contact['id']}"
    assert contact["customer_name"] == "A科技有限公司"
    listed = client.get(f"/api/v1/customers/{cid}/contacts", headers=as_sales1).json()
    assert [c["name"] for c in listed["items"]] == ["张伟"]
    patched = client.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"title": "董事长"},
        headers={**as_sales1, "If-Match": '"1"'},
    )
    assert patched.status_code == 200 and patched.headers["etag"] == '"2"'
    assert client.delete(f"/api/v1/contacts/{contact['id']}", headers=as_sales1).status_code == 204
    assert client.get(f"/api/v1/contacts/{contact['id']}", headers=as_sales1).status_code == 404


def test_contact_role_must_be_a_decision_chain_role(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.post(
        f"/api/v1/customers/{cid}/contacts", json={"name": "x", "role": "boss"}, headers=as_sales1
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "role"


def test_follow_ups_default_to_now_and_list_newest_first(client, as_sales1, rpc):
    cid = create(client, as_sales1).json()["id"]
    older = client.post(
        f"/api/v1/customers/{cid}/follow-ups",
        json={"channel": "visit", "content": "上门拜访", "occurred_at": "2026-01-05T10:00:00+08:00"},
        headers=as_sales1,
    )
    assert older.status_code == 201
    newer = client.post(
        f"/api/v1/customers/{cid}/follow-ups", json={"channel": "call", "content": "电话"}, headers=as_sales1
    )
    assert newer.status_code == 201
    # "Now" is the service's default: the gateway sends no time of its own (no second copy of it).
    assert "occurred_at" not in rpc.calls_to("create_follow_up")[-1]["data"]
    assert newer.json()["occurred_at"]
    items = client.get(f"/api/v1/customers/{cid}/follow-ups", headers=as_sales1).json()["items"]
    assert [f["content"] for f in items] == ["电话", "上门拜访"]
    fid = items[0]["id"]
    assert client.get(f"/api/v1/follow-ups/{fid}", headers=as_sales1).status_code == 200


def test_follow_up_time_needs_a_zone(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    response = client.post(
        f"/api/v1/customers/{cid}/follow-ups",
        json={"channel": "call", "content": "x", "occurred_at": "2026-01-05T10:00:00"},
        headers=as_sales1,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occurred_at"


def test_tasks_crud_and_filters(client, as_sales1, sales1, rpc):
    cid = create(client, as_sales1).json()["id"]
    response = client.post(
        "/api/v1/tasks",
        json={"customer_id": cid, "title": "发送报价", "due_at": "2026-12-01T09:00:00+08:00"},
        headers=as_sales1,
    )
    assert response.status_code == 201, response.text
    task = response.json()
    assert task["assignee_id"] == sales1.id
    assert rpc.calls_to("create_task")[-1]["data"]["customer_id"] == cid
    listed = client.get("/api/v1/tasks?assignee=me&status=open&overdue=false", headers=as_sales1)
    assert listed.status_code == 200
    assert rpc.calls_to("list_tasks")[-1]["filters"] == {
        "assignee_id": sales1.id,
        "status": "open",
        "overdue": False,
    }
    done = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"status": "done", "version": 1}, headers=as_sales1
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=as_sales1).status_code == 204


def test_transfer_is_for_managers(client, sales1, sales2, manager, token_for, rpc):
    cid = create(client, token_for(sales1)).json()["id"]
    body = {"from_user_id": sales1.id, "to_user_id": sales2.id, "customer_ids": [cid], "reason": "调岗"}
    assert client.post("/api/v1/customers/transfer", json=body, headers=token_for(sales1)).status_code == 403
    moved = client.post("/api/v1/customers/transfer", json=body, headers=token_for(manager))
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved"] == 1
    assert client.get(f"/api/v1/customers/{cid}", headers=token_for(sales2)).json()["owner_id"] == sales2.id


def test_audit_trail(client, as_sales1):
    cid = create(client, as_sales1).json()["id"]
    client.patch(f"/api/v1/customers/{cid}", json={"region": "苏州"}, headers=as_sales1)
    audit = client.get(f"/api/v1/customers/{cid}/audit", headers=as_sales1)
    assert audit.status_code == 200
    assert [a["action"] for a in audit.json()["items"]] == ["updated", "created"]


@pytest.mark.parametrize(
    ("setup", "status", "fragment"),
    [
        (lambda rpc: rpc.down.add("customers"), 503, "customers service unavailable"),
        (lambda rpc: rpc.slow.add("customers"), 504, "did not answer"),
        (
            lambda rpc: rpc.failures.__setitem__(
                ("customers", "list_customers"), RemoteServiceError("customers", "list_customers", "KeyError")
            ),
            502,
            "failed",
        ),
    ],
)
def test_service_trouble_maps_to_clear_5xx_problems(client, as_sales1, rpc, setup, status, fragment):
    setup(rpc)
    response = client.get("/api/v1/customers", headers=as_sales1)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]
    assert "Traceback" not in response.text


def test_conflict_from_service_is_409(client, as_sales1, rpc):
    rpc.failures[("customers", "list_customers")] = Conflict("busy")
    assert client.get("/api/v1/customers", headers=as_sales1).status_code == 409


def test_search_refuses_a_repeated_owner_and_an_empty_or_unknown_kind(client, as_sales1):
    twice = client.get("/api/v1/search?q=x&owner=me&owner=u-other", headers=as_sales1)
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "owner"
    empty = client.get("/api/v1/search?q=x&kind=", headers=as_sales1)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "kind.0"
    unknown = client.get("/api/v1/search?q=x&kind=false", headers=as_sales1)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kind.0"
    assert client.get("/api/v1/search?q=x&kind=ticket&kind=receivable", headers=as_sales1).status_code == 200


def test_search_facets_only_when_asked_and_a_capped_total_says_so(client, as_sales1, rpc):
    rpc.search.extra_hits.append({"kind": "customer", "id": "c-f", "title": "A科技有限公司"})
    plain = client.get("/api/v1/search?q=A科技", headers=as_sales1)
    assert plain.status_code == 200 and plain.json()["facets"] == {}
    assert rpc.search.calls[-1]["facets"] is False
    asked = client.get("/api/v1/search?q=A科技&facets=true", headers=as_sales1).json()
    assert asked["facets"]["kind"]["customer"] >= 1 and rpc.search.calls[-1]["facets"] is True
    assert asked["total_is_lower_bound"] is False
    rpc.search.total_hits_cap = 0  # every hit is past the cap
    capped = client.get("/api/v1/search?q=A科技", headers=as_sales1).json()
    assert capped["total"] == 0 and capped["total_is_lower_bound"] is True and capped["items"]
    bad = client.get("/api/v1/search?q=x&facets=maybe", headers=as_sales1)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "facets"
