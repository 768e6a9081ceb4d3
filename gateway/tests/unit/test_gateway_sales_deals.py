"""Contracts and orders through the gateway: the REST contract of issue 9 §7 and the pages, on a
stand-in sales service that records each call and answers with canned records (the service's own
behaviour is tested in services/sales/tests)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.identity import Caller


def _contract(owner_id: str, team_id: str | None, **overrides: Any) -> dict[str, Any]:
    record = {
        "id": "k1",
        "number": "C-2026-000001",
        "quote_id": "q1",
        "quote_version": 2,
        "opportunity_id": "o1",
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": owner_id,
        "owner_id": owner_id,
        "team_id": team_id,
        "title": "A科技 CRM 采购",
        "amount_minor": 12_345_600,
        "currency": "CNY",
        "special_price": False,
        "approval_status": "not_required",
        "status": "signed",
        "status_label": "已签署",
        "order_id": None,
        "version": 3,
    }
    record.update(overrides)
    return record


def _order(owner_id: str, team_id: str | None) -> dict[str, Any]:
    return {
        "id": "so1",
        "number": "SO-2026-000001",
        "contract_id": "k1",
        "contract_number": "C-2026-000001",
        "opportunity_id": "o1",
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "owner_id": owner_id,
        "team_id": team_id,
        "amount_minor": 12_345_600,
        "currency": "CNY",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "status": "placed",
        "status_label": "已下单",
        "instalments": [
            {"seq": 1, "due_date": "2027-01-15", "amount_minor": 10_000_000},
            {"seq": 2, "due_date": "2027-06-15", "amount_minor": 2_345_600},
        ],
        "version": 1,
    }


class DealsStub:
    """The sales service as far as these pages go: records calls, answers with canned records."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.contract: dict[str, Any] = {}
        self.order: dict[str, Any] = {}
        self.errors: dict[str, Exception] = {}

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))  # signed by the gateway, as on the wire
        self.calls.append((method, kwargs))
        if method in self.errors:
            raise self.errors[method]
        if method == "list_contracts":
            return {"items": [self.contract] if self.contract else [], "next_cursor": None}
        if method == "list_orders":
            return {"items": [self.order] if self.order else [], "next_cursor": None}
        if method in ("place_order", "get_order", "cancel_order"):
            return self.order
        if method.endswith("_contract"):
            return self.contract
        raise NotFound(f"{method}: no such record")

    def last(self, method: str) -> dict[str, Any]:
        return [kwargs for m, kwargs in self.calls if m == method][-1]


@pytest.fixture
def deals(rpc, sales1) -> DealsStub:
    stub = DealsStub()
    stub.contract = _contract(sales1.id, sales1.team_id)
    stub.order = _order(sales1.id, sales1.team_id)
    rpc.services["sales"] = stub
    return stub


# -- REST ------------------------------------------------------------------------------------------
def test_create_a_contract_from_a_quote_version(client, deals, sales1, token_for):
    response = client.post(
        "/api/v1/contracts", json={"quote_id": "q1", "version": 2}, headers=token_for(sales1)
    )
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/contracts/k1" and response.headers["ETag"] == '"3"'
    assert deals.last("create_contract") == {"quote_id": "q1", "version": 2, "data": None}
    special = {"quote_id": "q1", "version": 2, "special_price": True}
    assert client.post("/api/v1/contracts", json=special, headers=token_for(sales1)).status_code == 201
    assert deals.last("create_contract")["data"] == {"special_price": True}
    bad = client.post("/api/v1/contracts", json={"quote_id": "q1", "version": "2"}, headers=token_for(sales1))
    assert bad.status_code == 422 and any(e["field"].endswith("version") for e in bad.json()["errors"])


def test_a_service_conflict_names_the_version(client, deals, sales1, token_for):
    deals.errors["create_contract"] = Conflict(
        "not final", [{"field": "version", "message": "must be the final version"}]
    )
    response = client.post(
        "/api/v1/contracts", json={"quote_id": "q1", "version": 1}, headers=token_for(sales1)
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "version"


def test_actions_carry_if_match_and_comments(client, deals, sales1, manager, token_for):
    sign = client.post("/api/v1/contracts/k1/sign", headers={**token_for(sales1), "If-Match": '"3"'})
    assert sign.status_code == 200 and deals.last("sign_contract") == {
        "contract_id": "k1",
        "expected_version": 3,
    }
    assert client.post("/api/v1/contracts/k1/archive", headers=token_for(sales1)).status_code == 200
    assert deals.last("archive_contract") == {"contract_id": "k1", "expected_version": None}
    approve = client.post(
        "/api/v1/contracts/k1/approve", json={"comment": "同意"}, headers=token_for(manager)
    )
    assert approve.status_code == 200 and deals.last("approve_contract")["comment"] == "同意"
    assert client.post("/api/v1/contracts/k1/approve", headers=token_for(manager)).status_code == 200
    no_reason = client.post("/api/v1/contracts/k1/reject", json={}, headers=token_for(manager))
    assert no_reason.status_code == 422 and any(
        e["field"].endswith("comment") for e in no_reason.json()["errors"]
    )
    reject = client.post(
        "/api/v1/contracts/k1/reject", json={"comment": "折扣过大"}, headers=token_for(manager)
    )
    assert reject.status_code == 200 and deals.last("reject_contract")["comment"] == "折扣过大"
    cancel = client.post(
        "/api/v1/contracts/k1/cancel", json={"reason": "客户取消"}, headers=token_for(sales1)
    )
    assert cancel.status_code == 200 and deals.last("cancel_contract")["reason"] == "客户取消"
    # a seller cannot approve, whatever the service would say
    assert client.post("/api/v1/contracts/k1/approve", headers=token_for(sales1)).status_code == 403


def test_place_an_order_with_its_payment_plan(client, deals, sales1, token_for):
    body = {
        "contract_id": "k1",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments": [
            {"due_date": "2027-01-15", "amount_minor": 10_000_000},
            {"due_date": "2027-06-15", "amount_minor": 2_345_600},
        ],
    }
    response = client.post("/api/v1/orders", json=body, headers=token_for(sales1))
    assert response.status_code == 201 and response.headers["Location"] == "/api/v1/orders/so1"
    assert deals.last("place_order") == {"data": body}
    zero = {**body, "instalments": [{"due_date": "2027-01-15", "amount_minor": 0}]}
    refused = client.post("/api/v1/orders", json=zero, headers=token_for(sales1))
    assert refused.status_code == 422
    assert any("instalments" in e["field"] and "amount_minor" in e["field"] for e in refused.json()["errors"])
    deals.errors["place_order"] = ValidationError.for_field("instalments", "difference 10000")
    mismatch = client.post("/api/v1/orders", json=body, headers=token_for(sales1))
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "instalments"


def test_lists_pass_their_filters_and_finance_reads_but_does_not_write(client, deals, finance, token_for):
    listed = client.get("/api/v1/contracts?status=signed&customer_id=c1", headers=token_for(finance))
    assert listed.status_code == 200 and [c["id"] for c in listed.json()["items"]] == ["k1"]
    assert deals.last("list_contracts")["filters"] == {"status": "signed", "customer_id": "c1"}
    assert client.get("/api/v1/contracts?status=done", headers=token_for(finance)).status_code == 422
    orders = client.get("/api/v1/orders?status=placed", headers=token_for(finance))
    assert orders.status_code == 200 and orders.json()["items"][0]["instalments"][0]["seq"] == 1
    got = client.get("/api/v1/orders/so1", headers=token_for(finance))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    create = client.post(
        "/api/v1/contracts", json={"quote_id": "q1", "version": 2}, headers=token_for(finance)
    )
    assert create.status_code == 403


# -- pages -----------------------------------------------------------------------------------------
def test_the_contract_page_shows_its_status_and_the_order_form_to_its_owner(client, deals, sales1):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/contracts/k1")
    assert page.status_code == 200
    assert 'data-status="signed"' in page.text and "已签署" in page.text
    assert 'data-testid="order-form"' in page.text and 'src="/static/sales-deals.js"' in page.text
    assert 'data-testid="contract-archive"' in page.text and 'data-testid="contract-approve"' not in page.text
    assert "¥123,456.00" in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: our files only
    assert client.get("/static/sales-deals.js").status_code == 200


def test_the_order_form_sends_yuan_as_fen_and_opens_the_order(client, deals, sales1):
    assert browser_login(client, "sales1").status_code == 303
    token = csrf_of(client.get("/contracts/k1").text)
    form = {
        "csrf_token": token,
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments.0.due_date": "2027-01-15",
        "instalments.0.amount": "100,000",
        "instalments.1.due_date": "2027-06-15",
        "instalments.1.amount": "23456.5",
        "instalments.2.due_date": "",
        "instalments.2.amount": "",
    }
    response = client.post("/contracts/k1/order", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/orders/so1"
    assert deals.last("place_order")["data"] == {
        "contract_id": "k1",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments": [
            {"due_date": "2027-01-15", "amount_minor": 10_000_000},
            {"due_date": "2027-06-15", "amount_minor": 2_345_650},
        ],
    }
    deals.errors["place_order"] = ValidationError.for_field("instalments", "差额 difference -50")
    again = client.post("/contracts/k1/order", data=form, follow_redirects=False)
    assert again.status_code == 422 and "difference -50" in again.text
    assert 'value="23456.5"' in again.text  # the rows typed come back
    order = client.get("/orders/so1")
    assert order.status_code == 200 and 'data-testid="instalment-row"' in order.text
    assert "¥100,000.00" in order.text and "2027-06-15" in order.text


def test_a_special_price_contract_offers_approval_to_the_team_lead_only(client, deals, sales1, manager):
    deals.contract = _contract(
        sales1.id,
        sales1.team_id,
        special_price=True,
        approval_status="pending",
        status="pending_review",
        status_label="待审核",
    )
    assert browser_login(client, "sales1").status_code == 303
    own = client.get("/contracts/k1").text
    assert (
        "待审核" in own
        and 'data-testid="contract-approve"' not in own
        and 'data-testid="contract-sign"' not in own
    )
    client.cookies.clear()
    assert browser_login(client, "manager").status_code == 303
    lead = client.get("/contracts/k1")
    assert 'data-testid="contract-approve"' in lead.text and 'data-testid="contract-reject"' in lead.text
    posted = client.post(
        "/contracts/k1/approve",
        data={"csrf_token": csrf_of(lead.text), "version": "3", "comment": "同意特价"},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert deals.last("approve_contract") == {
        "contract_id": "k1",
        "comment": "同意特价",
        "expected_version": 3,
    }


def test_new_contract_form_from_the_quote_page(client, deals, sales1):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/contracts/new?quote_id=q1&version=2")
    assert page.status_code == 200 and 'value="q1"' in page.text and 'value="2"' in page.text
    response = client.post(
        "/contracts",
        data={"csrf_token": csrf_of(page.text), "quote_id": "q1", "version": "2", "special_price": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/contracts/k1"
    assert deals.last("create_contract") == {"quote_id": "q1", "version": 2, "data": {"special_price": True}}


def test_the_contract_list_and_the_customer_tab(client, deals, sales1, token_for):
    assert browser_login(client, "sales1").status_code == 303
    listed = client.get("/contracts?status=signed")
    assert listed.status_code == 200 and 'data-testid="contract-row"' in listed.text
    assert deals.last("list_contracts")["filters"] == {"status": "signed"}
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    customer_id = created.json()["id"]
    tab = client.get(f"/customers/{customer_id}?tab=contracts")
    assert tab.status_code == 200
    assert 'data-testid="customer-contracts"' in tab.text and 'data-testid="order-row"' in tab.text
    assert deals.last("list_orders")["filters"] == {"customer_id": customer_id}
