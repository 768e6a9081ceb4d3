"""Tickets through the gateway: the REST contract of issue 10 §4 and the pages, on a stand-in
service desk that records each call and answers with canned records (the service's own behaviour
is tested in services/service-desk/tests)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound
from kernel.identity import Caller


def _ticket(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "t1",
        "number": "T-2026-000001",
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": "u-sales1",
        "customer_team_id": None,
        "contact_id": None,
        "subject": "打印机无法连接",
        "description": "客户说打印机昨天起无法连接。",
        "channel": "phone",
        "category": "fault",
        "priority": "P2",
        "status": "new",
        "assignee_id": None,
        "team_id": None,
        "created_by": "u-support",
        "first_response_due": "2026-12-03T02:00:00Z",
        "resolution_due": "2026-12-04T07:00:00Z",
        "first_responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "paused_at": None,
        "sla_state": "ok",
        "sla_clock": {
            "clock": "first_response",
            "due": "2026-12-03T02:00:00Z",
            "warn_at": "2026-12-03T01:36:00Z",
            "paused": False,
        },
        "reopened_count": 0,
        "allowed_statuses": ["in_progress", "waiting_on_customer", "resolved"],
        "timeline": [
            {
                "id": "e1",
                "kind": "comment",
                "visibility": "internal",
                "body": "先查日志",
                "data": {},
                "actor_id": "u-support",
                "at": "2026-12-02T09:10:00Z",
            },
            {
                "id": "e2",
                "kind": "comment",
                "visibility": "external",
                "body": "您好，已收到",
                "data": {},
                "actor_id": "u-support",
                "at": "2026-12-02T09:20:00Z",
            },
        ],
        "attachments": [],
        "version": 4,
        "created_at": "2026-12-02T09:00:00Z",
        "updated_at": "2026-12-02T09:20:00Z",
    }
    record.update(overrides)
    return record


class DeskStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.ticket = _ticket()
        self.errors: dict[str, Exception] = {}

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))
        self.calls.append((method, kwargs))
        if method in self.errors:
            raise self.errors[method]
        if method in ("list_tickets", "ticket_queue"):
            return {"items": [self.ticket], "next_cursor": None}
        if method in (
            "create_ticket",
            "get_ticket",
            "update_ticket",
            "assign_ticket",
            "add_comment",
            "change_status",
            "add_attachment",
        ):
            return self.ticket
        raise NotFound(f"{method}: no such record")

    def last(self, method: str) -> dict[str, Any]:
        return [kwargs for m, kwargs in self.calls if m == method][-1]


@pytest.fixture
def support(make_user):
    return make_user("support", ["support"], team="客服一组", display_name="孙客服")


@pytest.fixture
def desk(rpc) -> DeskStub:
    stub = DeskStub()
    rpc.services["service_desk"] = stub
    return stub


BODY = {
    "customer_id": "c1",
    "subject": "打印机无法连接",
    "description": "昨天起",
    "channel": "phone",
    "category": "fault",
    "priority": "P2",
}


# -- REST ------------------------------------------------------------------------------------------
def test_open_a_ticket(client, desk, support, token_for):
    headers = {**token_for(support), "Idempotency-Key": "k-1"}
    response = client.post("/api/v1/tickets", json=BODY, headers=headers)
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/tickets/t1" and response.headers["ETag"] == '"4"'
    body = response.json()
    assert {body[k] for k in ("number", "status", "first_response_due")} == {
        "T-2026-000001",
        "new",
        "2026-12-03T02:00:00Z",
    }
    assert desk.last("create_ticket") == {"data": BODY}
    again = client.post("/api/v1/tickets", json=BODY, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert len([m for m, _ in desk.calls if m == "create_ticket"]) == 1


def test_bad_input_is_422_naming_fields(client, desk, support, token_for):
    bad = {**BODY, "priority": "P9", "channel": "fax"}
    response = client.post("/api/v1/tickets", json=bad, headers=token_for(support))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert any(f.endswith("priority") for f in fields) and any(f.endswith("channel") for f in fields)
    assert not desk.calls


def test_only_support_writes(client, desk, sales1, finance, token_for):
    for user in (sales1, finance):
        assert client.post("/api/v1/tickets", json=BODY, headers=token_for(user)).status_code == 403
    assert (
        client.post(
            "/api/v1/tickets/t1/status", json={"status": "resolved"}, headers=token_for(sales1)
        ).status_code
        == 403
    )
    assert client.get("/api/v1/tickets/t1", headers=token_for(sales1)).status_code == 200
    assert client.get("/api/v1/tickets", headers=token_for(finance)).status_code == 403


def test_list_and_queue_pass_their_filters(client, desk, support, token_for):
    listed = client.get("/api/v1/tickets?customer_id=c1&status=new&assignee=me", headers=token_for(support))
    assert listed.status_code == 200 and listed.json()["items"][0]["number"] == "T-2026-000001"
    assert desk.last("list_tickets")["filters"] == {
        "customer_id": "c1",
        "status": "new",
        "assignee": support.id,
    }
    queue = client.get("/api/v1/tickets/queue?priority=P1&limit=10", headers=token_for(support))
    assert queue.status_code == 200
    assert desk.last("ticket_queue") == {"filters": {"priority": "P1"}, "cursor": None, "limit": 10}
    assert client.get("/api/v1/tickets/queue?status=closed", headers=token_for(support)).status_code == 422
    assert client.get("/api/v1/tickets?status=done", headers=token_for(support)).status_code == 422


def test_get_patch_with_etag_and_if_match(client, desk, support, token_for):
    got = client.get("/api/v1/tickets/t1", headers=token_for(support))
    assert got.status_code == 200 and got.headers["ETag"] == '"4"' and len(got.json()["timeline"]) == 2
    patched = client.patch(
        "/api/v1/tickets/t1", json={"priority": "P1"}, headers={**token_for(support), "If-Match": '"4"'}
    )
    assert patched.status_code == 200
    assert desk.last("update_ticket") == {
        "ticket_id": "t1",
        "data": {"priority": "P1"},
        "expected_version": 4,
    }
    desk.errors["update_ticket"] = Conflict(
        "version mismatch", [{"field": "version", "message": "current version is 5"}]
    )
    stale = client.patch(
        "/api/v1/tickets/t1", json={"subject": "x"}, headers={**token_for(support), "If-Match": '"4"'}
    )
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "version"
    desk.errors["get_ticket"] = NotFound("ticket t9 does not exist")
    assert client.get("/api/v1/tickets/t9", headers=token_for(support)).status_code == 404


def test_comments_status_assign_attachments(client, desk, support, token_for):
    comment = client.post(
        "/api/v1/tickets/t1/comments",
        json={"body": "已收到", "visibility": "external"},
        headers=token_for(support),
    )
    assert comment.status_code == 201
    assert desk.last("add_comment") == {
        "ticket_id": "t1",
        "data": {"body": "已收到", "visibility": "external"},
    }
    bad = client.post(
        "/api/v1/tickets/t1/comments", json={"body": "x", "visibility": "public"}, headers=token_for(support)
    )
    assert bad.status_code == 422
    moved = client.post(
        "/api/v1/tickets/t1/status",
        json={"status": "resolved"},
        headers={**token_for(support), "If-Match": '"4"'},
    )
    assert moved.status_code == 200
    assert desk.last("change_status") == {
        "ticket_id": "t1",
        "status": "resolved",
        "expected_version": 4,
        "note": None,
    }
    desk.errors["change_status"] = Conflict(
        "ticket T-2026-000001 is closed: it may go to nowhere (closed is final)",
        [{"field": "status", "message": "may not go from closed", "allowed": []}],
    )
    refused = client.post(
        "/api/v1/tickets/t1/status", json={"status": "in_progress"}, headers=token_for(support)
    )
    assert refused.status_code == 409  # the allowed moves, as data, from the ticket as it is now
    assert refused.json()["errors"][0]["allowed"] == ["in_progress", "waiting_on_customer", "resolved"]
    desk.errors["change_status"] = Conflict(
        "stale", [{"field": "version", "message": "current version is 5"}]
    )
    stale = client.post("/api/v1/tickets/t1/status", json={"status": "resolved"}, headers=token_for(support))
    assert stale.status_code == 409 and "allowed" not in stale.json()["errors"][0]
    assigned = client.post(
        "/api/v1/tickets/t1/assign", json={"assignee_id": "u-2"}, headers=token_for(support)
    )
    assert assigned.status_code == 200 and desk.last("assign_ticket")["assignee_id"] == "u-2"
    meta = {"filename": "log.txt", "content_type": "text/plain", "size_bytes": 10, "storage_key": "k/1"}
    attached = client.post("/api/v1/tickets/t1/attachments", json=meta, headers=token_for(support))
    assert attached.status_code == 201 and desk.last("add_attachment")["data"] == meta
    floaty = client.post(
        "/api/v1/tickets/t1/attachments", json={**meta, "size_bytes": 1.5}, headers=token_for(support)
    )
    assert floaty.status_code == 422


# -- pages -----------------------------------------------------------------------------------------
def test_the_queue_page_has_live_clocks_and_filters(client, desk, support):
    assert browser_login(client, "support").status_code == 303
    page = client.get("/tickets?view=mine&priority=P2")
    assert page.status_code == 200
    assert desk.last("ticket_queue")["filters"] == {"assignee": support.id, "priority": "P2"}
    assert 'data-testid="ticket-row"' in page.text and 'data-sla-due="2026-12-03T02:00:00Z"' in page.text
    assert 'data-sla-warn="2026-12-03T01:36:00Z"' in page.text
    assert 'src="/static/service-desk-tickets.js"' in page.text and 'data-testid="nav-tickets"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    assert client.get("/static/service-desk-tickets.js").status_code == 200
    team = client.get("/tickets?view=team")
    assert team.status_code == 200 and desk.last("ticket_queue")["filters"] == {"team_id": support.team_id}


def test_the_ticket_page_replies_and_moves(client, desk, support):
    assert browser_login(client, "support").status_code == 303
    page = client.get("/tickets/t1")
    assert page.status_code == 200
    assert 'data-testid="internal-marker"' in page.text and "先查日志" in page.text
    for status in ("in_progress", "waiting_on_customer", "resolved"):
        assert f'data-testid="ticket-move-{status}"' in page.text
    assert 'data-testid="ticket-move-closed"' not in page.text
    token = csrf_of(page.text)
    reply = client.post(
        "/tickets/t1/comments",
        data={"csrf_token": token, "body": "您好", "visibility": "internal"},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and desk.last("add_comment")["data"] == {
        "body": "您好",
        "visibility": "internal",
    }
    moved = client.post(
        "/tickets/t1/status",
        data={"csrf_token": token, "status": "resolved", "version": "4"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and desk.last("change_status")["expected_version"] == 4
    desk.errors["change_status"] = Conflict("no", [{"field": "status", "message": "may not go from new"}])
    refused = client.post(
        "/tickets/t1/status", data={"csrf_token": token, "status": "closed"}, follow_redirects=False
    )
    assert refused.status_code == 409 and "may not go from new" in refused.text
    assign = client.post(
        "/tickets/t1/assign", data={"csrf_token": token, "assignee_id": "me"}, follow_redirects=False
    )
    assert assign.status_code == 303 and desk.last("assign_ticket")["assignee_id"] == support.id


def test_a_seller_reads_without_controls(client, desk, sales1):
    desk.ticket = _ticket(timeline=[], allowed_statuses=["in_progress"])
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/tickets/t1")
    assert page.status_code == 200
    assert (
        'data-testid="ticket-reply-form"' not in page.text
        and 'data-testid="ticket-move-in_progress"' not in page.text
    )
    assert client.get("/tickets/new").status_code == 403


def test_new_ticket_and_the_customer_tab(client, desk, support, sales1, token_for):
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    customer_id = created.json()["id"]
    assert browser_login(client, "support").status_code == 303
    form = client.get(f"/tickets/new?customer_id={customer_id}")
    assert (
        form.status_code == 200 and 'data-testid="ticket-form"' in form.text and "A科技有限公司" in form.text
    )
    posted = client.post(
        "/tickets",
        data={
            "csrf_token": csrf_of(form.text),
            "customer_id": customer_id,
            "subject": "打印机无法连接",
            "description": "",
            "channel": "phone",
            "category": "fault",
            "priority": "P2",
            "contact_id": "",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/tickets/t1"
    assert desk.last("create_ticket")["data"]["customer_id"] == customer_id
    blank = client.post(
        "/tickets",
        data={
            "csrf_token": csrf_of(form.text),
            "customer_id": customer_id,
            "subject": "",
            "channel": "phone",
            "category": "fault",
            "priority": "P2",
        },
        follow_redirects=False,
    )
    assert blank.status_code == 422
    tab = client.get(f"/customers/{customer_id}?tab=tickets")
    assert tab.status_code == 200 and 'data-testid="customer-tickets"' in tab.text
    assert 'data-testid="ticket-row"' in tab.text
    assert desk.last("list_tickets")["filters"] == {"customer_id": customer_id}
