"""Invoices and write-offs through the gateway: the REST contract of issue 10 §4 and the pages,
on a stand-in finance service that records each call and answers with canned records (the
service's own behaviour is tested in services/finance/tests)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import Caller


def _invoice(**overrides: Any) -> dict[str, Any]:
    record = {
        "id": "inv1",
        "number": None,
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": "u-s1",
        "owner_id": "u-s1",
        "team_id": None,
        "order_id": None,
        "receivable_id": None,
        "title": "A科技有限公司",
        "tax_id": None,
        "currency": "CNY",
        "amount_minor": 11_300,
        "tax_rate": "0.13",
        "tax_minor": 1_300,
        "net_minor": 10_000,
        "status": "draft",
        "status_label": "草稿",
        "issued_on": None,
        "void_reason": None,
        "created_by": "u-fin",
        "version": 1,
    }
    record.update(overrides)
    return record


def _write_off(**overrides: Any) -> dict[str, Any]:
    record = {
        "id": "wo1",
        "receivable_id": "r1",
        "order_id": "so1",
        "order_number": "SO-2026-000001",
        "seq": 1,
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": "u-s1",
        "owner_id": "u-s1",
        "team_id": None,
        "currency": "CNY",
        "amount_minor": 50_000,
        "reason": "客户破产",
        "status": "requested",
        "status_label": "待审批",
        "requested_by": "someone-else",
        "requested_at": "2026-12-01T08:00:00+00:00",
        "decided_by": None,
        "decided_at": None,
        "decision_note": None,
        "version": 1,
    }
    record.update(overrides)
    return record


class FinanceStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.invoice = _invoice()
        self.write_off = _write_off()
        self.errors: dict[str, Exception] = {}

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))
        self.calls.append((method, kwargs))
        if method in self.errors:
            raise self.errors[method]
        if method == "list_invoices":
            return {"items": [self.invoice], "next_cursor": None}
        if method == "list_write_offs":
            return {"items": [self.write_off], "next_cursor": None}
        if "invoice" in method:
            return self.invoice
        if "write_off" in method:
            return self.write_off
        raise NotFound(f"{method}: no such record")

    def last(self, method: str) -> dict[str, Any]:
        return [kwargs for m, kwargs in self.calls if m == method][-1]


@pytest.fixture
def stub(rpc) -> FinanceStub:
    service = FinanceStub()
    rpc.services["finance"] = service
    return service


@pytest.fixture
def finmgr(make_user):
    return make_user("finmgr", ["finance", "manager"], display_name="钱财务经理")


# -- REST ------------------------------------------------------------------------------------------
def test_create_an_invoice_once_per_idempotency_key(client, stub, finance, token_for):
    body = {"customer_id": "c1", "amount_minor": 11_300, "tax_rate": "0.13", "tax_id": "9131"}
    headers = {**token_for(finance), "Idempotency-Key": "inv-key-1"}
    first = client.post("/api/v1/invoices", json=body, headers=headers)
    assert first.status_code == 201
    assert first.headers["Location"] == "/api/v1/invoices/inv1" and first.headers["ETag"] == '"1"'
    assert stub.last("create_invoice") == {"data": body}
    again = client.post("/api/v1/invoices", json=body, headers=headers)
    assert again.status_code == 201 and len([m for m, _ in stub.calls if m == "create_invoice"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customer_id": "c1", "amount_minor": 11_300, "tax_rate": 0.13}, "tax_rate"),
        ({"customer_id": "c1", "amount_minor": 113.5, "tax_rate": "0.13"}, "amount_minor"),
        ({"amount_minor": 100, "tax_rate": "0.13"}, "customer_id"),
        ({"customer_id": "c1", "amount_minor": 100, "tax_rate": "13%"}, "tax_rate"),
    ],
)
def test_bad_invoice_bodies_are_422_naming_the_field(client, stub, finance, token_for, body, field):
    response = client.post("/api/v1/invoices", json=body, headers=token_for(finance))
    assert response.status_code == 422
    assert any(e["field"].endswith(field) for e in response.json()["errors"])
    assert stub.calls == []


def test_a_seller_reads_but_does_not_write_invoices(client, stub, sales1, token_for):
    listed = client.get("/api/v1/invoices?status=issued&customer_id=c1", headers=token_for(sales1))
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == "inv1"
    assert stub.last("list_invoices")["filters"] == {"customer_id": "c1", "status": "issued"}
    assert client.get("/api/v1/invoices?status=lost", headers=token_for(sales1)).status_code == 422
    body = {"customer_id": "c1", "amount_minor": 1, "tax_rate": "0"}
    assert client.post("/api/v1/invoices", json=body, headers=token_for(sales1)).status_code == 403


def test_get_patch_and_actions_carry_if_match(client, stub, finance, token_for):
    got = client.get("/api/v1/invoices/inv1", headers=token_for(finance))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    patch = client.patch(
        "/api/v1/invoices/inv1", json={"title": "新抬头"}, headers={**token_for(finance), "If-Match": '"1"'}
    )
    assert patch.status_code == 200
    assert stub.last("update_invoice") == {
        "invoice_id": "inv1",
        "changes": {"title": "新抬头"},
        "expected_version": 1,
    }
    issue = client.post("/api/v1/invoices/inv1/issue", headers={**token_for(finance), "If-Match": '"1"'})
    assert issue.status_code == 200 and stub.last("issue_invoice") == {
        "invoice_id": "inv1",
        "expected_version": 1,
    }
    assert client.post("/api/v1/invoices/inv1/paid", headers=token_for(finance)).status_code == 200
    assert stub.last("mark_invoice_paid") == {"invoice_id": "inv1", "expected_version": None}
    void = client.post("/api/v1/invoices/inv1/void", json={"reason": "开错"}, headers=token_for(finance))
    assert void.status_code == 200 and stub.last("void_invoice")["reason"] == "开错"
    assert client.post("/api/v1/invoices/inv1/void", json={}, headers=token_for(finance)).status_code == 422
    stub.errors["issue_invoice"] = Conflict(
        "a void invoice cannot be issued", [{"field": "status", "message": "is void"}]
    )
    conflict = client.post("/api/v1/invoices/inv1/issue", headers=token_for(finance))
    assert conflict.status_code == 409 and conflict.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_request_a_write_off_and_decide_it(client, stub, finance, finmgr, token_for):
    asked = client.post(
        "/api/v1/receivables/r1/write-off", json={"reason": "客户破产"}, headers=token_for(finance)
    )
    assert asked.status_code == 201 and asked.headers["Location"] == "/api/v1/write-offs/wo1"
    assert stub.last("request_write_off") == {"receivable_id": "r1", "data": {"reason": "客户破产"}}
    partial = {"amount_minor": 20_000, "reason": "部分"}
    assert (
        client.post("/api/v1/receivables/r1/write-off", json=partial, headers=token_for(finance)).status_code
        == 201
    )
    assert stub.last("request_write_off")["data"] == partial
    bad = client.post(
        "/api/v1/receivables/r1/write-off", json={"amount_minor": 1.5}, headers=token_for(finance)
    )
    assert bad.status_code == 422 and {e["field"].split(".")[-1] for e in bad.json()["errors"]} >= {
        "amount_minor",
        "reason",
    }
    approve = client.post("/api/v1/write-offs/wo1/approve", json={"note": "同意"}, headers=token_for(finmgr))
    assert approve.status_code == 200 and stub.last("approve_write_off") == {
        "write_off_id": "wo1",
        "note": "同意",
    }
    assert client.post("/api/v1/write-offs/wo1/reject", headers=token_for(finmgr)).status_code == 200
    assert stub.last("reject_write_off") == {"write_off_id": "wo1", "note": None}
    queue = client.get("/api/v1/write-offs?status=requested", headers=token_for(finmgr))
    assert queue.status_code == 200 and stub.last("list_write_offs")["filters"] == {"status": "requested"}
    assert client.get("/api/v1/write-offs?status=maybe", headers=token_for(finmgr)).status_code == 422


def test_write_off_refusals_map_to_403_and_409(client, stub, finance, sales1, token_for):
    stub.errors["approve_write_off"] = PermissionDenied("never the requester")
    assert client.post("/api/v1/write-offs/wo1/approve", headers=token_for(finance)).status_code == 403
    stub.errors["approve_write_off"] = Conflict(
        "the receivable now owes less", [{"field": "amount_minor", "message": "exceeds"}]
    )
    conflict = client.post("/api/v1/write-offs/wo1/approve", headers=token_for(finance))
    assert conflict.status_code == 409 and conflict.json()["errors"][0]["field"] == "amount_minor"
    # a seller never reaches the service to approve or request
    assert client.post("/api/v1/write-offs/wo1/approve", headers=token_for(sales1)).status_code == 403
    body = {"reason": "x"}
    assert (
        client.post("/api/v1/receivables/r1/write-off", json=body, headers=token_for(sales1)).status_code
        == 403
    )


# -- pages -----------------------------------------------------------------------------------------
def test_the_invoice_pages(client, stub, finance):
    assert browser_login(client, "finance").status_code == 303
    listing = client.get("/invoices")
    assert (
        listing.status_code == 200
        and 'data-testid="invoice-row"' in listing.text
        and "¥113.00" in listing.text
    )
    assert 'data-testid="nav-invoices"' in listing.text
    page = client.get("/invoices/inv1")
    assert page.status_code == 200 and 'data-testid="invoice-issue"' in page.text
    assert 'data-testid="invoice-paid"' not in page.text and "¥13.00" in page.text
    assert "<script>" not in page.text and "style=" not in page.text
    token = csrf_of(page.text)
    issued = client.post(
        "/invoices/inv1/issue", data={"csrf_token": token, "version": "1"}, follow_redirects=False
    )
    assert issued.status_code == 303 and stub.last("issue_invoice") == {
        "invoice_id": "inv1",
        "expected_version": 1,
    }
    stub.errors["void_invoice"] = ValidationError.for_field("reason", "must not be empty")
    refused = client.post(
        "/invoices/inv1/void", data={"csrf_token": token, "reason": ""}, follow_redirects=False
    )
    assert refused.status_code == 422 and "must not be empty" in refused.text
    assert client.get("/invoices/new?customer_id=c1").status_code == 200


def test_the_new_invoice_form_sends_yuan_as_fen(client, stub, finance):
    assert browser_login(client, "finance").status_code == 303
    token = csrf_of(client.get("/invoices/new").text)
    form = {"csrf_token": token, "customer_id": "c1", "amount": "1,130.50", "tax_rate": "0.13", "title": ""}
    created = client.post("/invoices", data=form, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/invoices/inv1"
    assert stub.last("create_invoice")["data"] == {
        "customer_id": "c1",
        "amount_minor": 113_050,
        "tax_rate": "0.13",
    }
    bad = client.post("/invoices", data={**form, "amount": "12.345"}, follow_redirects=False)
    assert bad.status_code == 422


def test_the_write_off_queue_offers_decisions_to_a_finance_manager_only(client, stub, finmgr, finance):
    assert browser_login(client, "finmgr").status_code == 303
    queue = client.get("/write-offs")
    assert queue.status_code == 200 and 'data-testid="write-off-approve"' in queue.text
    assert stub.last("list_write_offs")["filters"] == {"status": "requested"}
    token = csrf_of(queue.text)
    done = client.post(
        "/write-offs/wo1/approve", data={"csrf_token": token, "back": "queue"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/write-offs"
    stub.errors["reject_write_off"] = Conflict(
        "decided already", [{"field": "status", "message": "is approved"}]
    )
    refused = client.post("/write-offs/wo1/reject", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 409 and "is approved" in refused.text
    client.cookies.clear()
    assert browser_login(client, "finance").status_code == 303
    plain = client.get("/write-offs")
    assert plain.status_code == 200 and 'data-testid="write-off-approve"' not in plain.text
    stub.write_off = _write_off(requested_by=finmgr.id)
    client.cookies.clear()
    assert browser_login(client, "finmgr").status_code == 303
    own = client.get("/write-offs/wo1")
    assert own.status_code == 200 and 'data-testid="write-off-approve"' not in own.text


def test_the_write_off_request_form(client, stub, finance):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/receivables/r1/write-off")
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.text), "amount": "500", "reason": "客户破产"}
    sent = client.post("/receivables/r1/write-off", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/write-offs/wo1"
    assert stub.last("request_write_off") == {
        "receivable_id": "r1",
        "data": {"amount_minor": 50_000, "reason": "客户破产"},
    }


def test_the_customer_page_has_an_invoices_tab(client, stub, finance, sales1, token_for):
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    assert created.status_code == 201
    customer_id = created.json()["id"]
    assert browser_login(client, "finance").status_code == 303
    tab = client.get(f"/customers/{customer_id}?tab=invoices")
    assert tab.status_code == 200 and 'data-testid="customer-invoices"' in tab.text and "¥113.00" in tab.text
    assert stub.last("list_invoices")["filters"] == {"customer_id": customer_id}


def test_approve_through_the_receivable_takes_its_open_request(client, stub, finmgr, token_for):
    approve = client.post(
        "/api/v1/receivables/r1/write-off/approve", json={"note": "同意"}, headers=token_for(finmgr)
    )
    assert approve.status_code == 200
    assert stub.last("list_write_offs")["filters"] == {"receivable_id": "r1", "status": "requested"}
    assert stub.last("approve_write_off") == {"write_off_id": "wo1", "note": "同意"}
    stub.write_off = None  # nothing waiting: the list is empty
    real_dispatch = stub.dispatch
    stub.dispatch = lambda method, kwargs: (  # type: ignore[method-assign]
        {"items": [], "next_cursor": None} if method == "list_write_offs" else real_dispatch(method, kwargs)
    )
    missing = client.post("/api/v1/receivables/r2/write-off/approve", headers=token_for(finmgr))
    assert missing.status_code == 404 and "no write-off request" in missing.json()["detail"]
