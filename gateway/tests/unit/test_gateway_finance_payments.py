"""Payments through the gateway: the REST contract of issue 10 §4 (201 + Idempotency-Key replay,
422 naming the field, 403 for sales and support, If-Match) and the pages (yuan typed, fen sent),
on a stand-in finance service that records each call (the service's own behaviour is tested in
services/finance/tests)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway.services.finance.money_input import minor_to_yuan, yuan_to_minor
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.identity import Caller


def _payment(**overrides: Any) -> dict[str, Any]:
    record = {
        "id": "p1",
        "number": "PAY-2026-000001",
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": "u-s1",
        "owner_id": "u-s1",
        "team_id": "team-east",
        "received_on": "2026-12-01",
        "currency": "CNY",
        "amount_minor": 180_000,
        "allocated_minor": 120_000,
        "refunded_minor": 0,
        "unallocated_minor": 60_000,
        "payer": "A科技有限公司",
        "reference": "SO-2026-000001",
        "note": None,
        "source": "manual",
        "created_by": "u-finance",
        "allocations": [
            {
                "id": "a1",
                "receivable_id": "r1",
                "amount_minor": 120_000,
                "order_number": "SO-2026-000001",
                "seq": 1,
            }
        ],
        "refunds": [],
        "version": 1,
    }
    record.update(overrides)
    return record


def _receivable(rid: str, seq: int, due: str, outstanding: int) -> dict[str, Any]:
    return {
        "id": rid,
        "order_id": "o1",
        "order_number": "SO-2026-000001",
        "seq": seq,
        "customer_id": "c1",
        "due_date": due,
        "currency": "CNY",
        "amount_minor": outstanding,
        "paid_minor": 0,
        "written_off_minor": 0,
        "outstanding_minor": outstanding,
        "status": "open",
        "overdue_days": 0,
        "version": 1,
    }


class FinanceStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.payment = _payment()
        self.receivables = [
            _receivable("r1", 1, "2026-11-01", 100_000),
            _receivable("r2", 2, "2026-12-01", 50_000),
        ]
        self.errors: dict[str, Exception] = {}

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))
        self.calls.append((method, kwargs))
        if method in self.errors:
            raise self.errors[method]
        if method in ("record_payment", "get_payment", "allocate_payment", "refund", "void_payment"):
            return self.payment
        if method == "list_payments":
            return {"items": [self.payment], "next_cursor": None}
        if method == "customer_credit":
            return {
                "customer_id": kwargs["customer_id"],
                "credits": [{"currency": "CNY", "credit_minor": 500}],
            }
        if method == "open_receivables_for_payment":
            return self.receivables
        if method == "ledger_check":
            return {"violations": [], "checked_at": "2026-12-01T00:00:00+00:00"}
        raise NotFound(method)

    def made(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for m, kwargs in self.calls if m == method]


@pytest.fixture
def fin(rpc) -> FinanceStub:
    stub = FinanceStub()
    rpc.services["finance"] = stub
    rpc.services["customers"].customers["c1"] = {
        "id": "c1",
        "name": "A科技有限公司",
        "owner_id": "u-s1",
        "team_id": "team-east",
        "status": "active",
        "tags": [],
        "version": 1,
    }
    return stub


BODY = {
    "customer_id": "c1",
    "received_on": "2026-12-01",
    "amount_minor": 180_000,
    "currency": "CNY",
    "payer": "A科技有限公司",
    "reference": "SO-2026-000001",
    "allocations": [{"receivable_id": "r1", "amount_minor": 120_000}],
}


# -- money typed in 元 -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1234.5", 123_450),
        ("1,234.50", 123_450),
        ("¥1,234.56", 123_456),
        ("1，234", 123_400),
        (" 0.01 ", 1),
        ("0.29", 29),  # 0.29 * 100 is 28.999… in floating point
        ("1.13", 113),
        ("9999999999999.99", 999_999_999_999_999),
        ("1．5", 150),
    ],
)
def test_yuan_becomes_exact_fen(text: str, minor: int) -> None:
    assert yuan_to_minor(text) == minor
    assert yuan_to_minor(minor_to_yuan(minor)) == minor


@pytest.mark.parametrize(
    "text", ["", "1.234", "-5", "1e3", "abc", "1.2.3", "12345678901234", "NaN", "Infinity"]
)
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        yuan_to_minor(text)


# -- REST ------------------------------------------------------------------------------------------
def test_record_a_payment_once_per_idempotency_key(client, fin, finance, token_for):
    headers = {**token_for(finance), "Idempotency-Key": "pay-0001"}
    first = client.post("/api/v1/payments", json=BODY, headers=headers)
    assert first.status_code == 201
    assert first.headers["Location"] == "/api/v1/payments/p1" and first.headers["ETag"] == '"1"'
    assert first.json()["allocations"][0]["order_number"] == "SO-2026-000001"
    assert fin.made("record_payment") == [{"data": {**BODY, "auto_allocate": False}}]
    again = client.post("/api/v1/payments", json=BODY, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(fin.made("record_payment")) == 1  # the retry wrote nothing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_minor": 12.5}, "amount_minor"),
        ({"amount_minor": "1800"}, "amount_minor"),
        ({"amount_minor": True}, "amount_minor"),
        ({"allocations": [{"receivable_id": "r1", "amount_minor": 1.5}]}, "allocations.0.amount_minor"),
        ({"allocations": [{"receivable_id": "r1", "amount_minor": 0}]}, "allocations.0.amount_minor"),
        ({"currency": "rmb"}, "currency"),
        ({"received_on": "next week"}, "received_on"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, fin, finance, token_for, change, field):
    response = client.post("/api/v1/payments", json={**BODY, **change}, headers=token_for(finance))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert fin.made("record_payment") == []


def test_the_service_refusals_come_back_typed(client, fin, finance, token_for):
    fin.errors["record_payment"] = ValidationError.for_field(
        "allocations.0.amount_minor", "more than outstanding"
    )
    over = client.post("/api/v1/payments", json=BODY, headers=token_for(finance))
    assert over.status_code == 422 and over.json()["errors"][0]["field"] == "allocations.0.amount_minor"
    fin.errors["get_payment"] = NotFound("payment p9 does not exist")
    assert client.get("/api/v1/payments/p9", headers=token_for(finance)).status_code == 404
    fin.errors["allocate_payment"] = Conflict(
        "stale", [{"field": "version", "message": "current version is 2"}]
    )
    stale = client.post(
        "/api/v1/payments/p1/allocations",
        json={"allocations": [{"receivable_id": "r2", "amount_minor": 100}]},
        headers={**token_for(finance), "If-Match": '"1"'},
    )
    assert stale.status_code == 409


def test_sales_and_support_may_not_write(client, fin, sales1, make_user, token_for):
    support = make_user("support", ["support"], "team-support")
    for user in (sales1, support):
        assert client.post("/api/v1/payments", json=BODY, headers=token_for(user)).status_code == 403
        refund = {"payment_id": "p1", "amount_minor": 100, "refunded_on": "2026-12-02", "reason": "多付"}
        assert client.post("/api/v1/refunds", json=refund, headers=token_for(user)).status_code == 403
    assert client.get("/api/v1/payments", headers=token_for(support)).status_code == 403
    assert client.get("/api/v1/payments", headers=token_for(sales1)).status_code == 200  # read-only
    assert client.get("/api/v1/ledger-check", headers=token_for(sales1)).status_code == 403
    assert fin.made("record_payment") == [] and fin.made("refund") == []


def test_get_list_allocate_refund_and_credit(client, fin, finance, admin, token_for):
    got = client.get("/api/v1/payments/p1", headers=token_for(finance))
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    listed = client.get(
        "/api/v1/payments?customer_id=c1&source=manual&received_after=2026-11-01&received_before=2026-12-31",
        headers=token_for(finance),
    )
    assert listed.status_code == 200 and listed.json()["items"][0]["number"] == "PAY-2026-000001"
    assert fin.made("list_payments")[-1]["filters"] == {
        "customer_id": "c1",
        "source": "manual",
        "received_after": "2026-11-01",
        "received_before": "2026-12-31",
    }
    assert client.get("/api/v1/payments?source=cash", headers=token_for(finance)).status_code == 422
    allocated = client.post(
        "/api/v1/payments/p1/allocations",
        json={"allocations": [{"receivable_id": "r2", "amount_minor": 50_000}]},
        headers={**token_for(finance), "If-Match": '"1"'},
    )
    assert allocated.status_code == 200
    assert fin.made("allocate_payment") == [
        {
            "payment_id": "p1",
            "allocations": [{"receivable_id": "r2", "amount_minor": 50_000}],
            "expected_version": 1,
        }
    ]
    empty = client.post(
        "/api/v1/payments/p1/allocations", json={"allocations": []}, headers=token_for(finance)
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"].endswith("allocations")
    refund = {"payment_id": "p1", "amount_minor": 10_000, "refunded_on": "2026-12-02", "reason": "多付"}
    refunded = client.post("/api/v1/refunds", json=refund, headers=token_for(finance))
    assert refunded.status_code == 201 and refunded.headers["Location"] == "/api/v1/payments/p1"
    assert fin.made("refund") == [{"data": refund}]
    bad = client.post("/api/v1/refunds", json={**refund, "amount_minor": 1.0}, headers=token_for(finance))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("amount_minor")
    credit = client.get("/api/v1/customers/c1/credit", headers=token_for(finance))
    assert credit.status_code == 200 and credit.json()["credits"] == [
        {"currency": "CNY", "credit_minor": 500}
    ]
    offered = client.get("/api/v1/customers/c1/open-receivables?currency=CNY", headers=token_for(finance))
    assert [r["id"] for r in offered.json()] == ["r1", "r2"]
    check = client.get("/api/v1/ledger-check", headers=token_for(admin))
    assert check.status_code == 200 and check.json()["violations"] == []


# -- pages -----------------------------------------------------------------------------------------
def test_payment_entry_sends_yuan_as_fen_and_opens_the_payment(client, fin, finance):
    assert browser_login(client, "finance").status_code == 303
    picker = client.get("/payments/new?q=A科技")
    assert picker.status_code == 200 and "/payments/new?customer_id=c1" in picker.text
    page = client.get("/payments/new?customer_id=c1")
    assert page.status_code == 200 and page.text.count('data-testid="allocation-row"') == 2
    assert 'src="/static/finance-payments.js"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: our files only
    form = {
        "csrf_token": csrf_of(page.text),
        "customer_id": "c1",
        "currency": "CNY",
        "amount": "1,800.29",
        "received_on": "2026-12-01",
        "payer": "A科技有限公司",
        "reference": "",
        "alloc.r1": "1000",
        "alloc.r2": "0.29",
    }
    response = client.post("/payments", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/payments/p1"
    assert fin.made("record_payment")[-1]["data"] == {
        "customer_id": "c1",
        "received_on": "2026-12-01",
        "amount_minor": 180_029,
        "currency": "CNY",
        "payer": "A科技有限公司",
        "allocations": [
            {"receivable_id": "r1", "amount_minor": 100_000},
            {"receivable_id": "r2", "amount_minor": 29},
        ],
    }
    typo = client.post("/payments", data={**form, "alloc.r2": "0.299"}, follow_redirects=False)
    assert typo.status_code == 422 and "allocations.1.amount_minor" in typo.text
    assert 'value="0.299"' in typo.text and len(fin.made("record_payment")) == 1
    fin.errors["record_payment"] = ValidationError.for_field(
        "allocations.0.amount_minor", "超过未收 more than outstanding"
    )
    refused = client.post("/payments", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "超过未收" in refused.text


def test_the_payment_page_lists_allocations_and_refunds_from_credit(client, fin, finance, sales1):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/payments/p1")
    assert page.status_code == 200 and "PAY-2026-000001" in page.text
    assert 'data-testid="payment-allocation-row"' in page.text and "¥1,200.00" in page.text
    assert 'data-testid="refund-form"' in page.text and 'data-testid="credit-allocation-form"' in page.text
    token = csrf_of(page.text)
    done = client.post(
        "/payments/p1/refund",
        data={"csrf_token": token, "amount": "100.5", "refunded_on": "2026-12-02", "reason": "多付"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert fin.made("refund")[-1]["data"] == {
        "payment_id": "p1",
        "amount_minor": 10_050,
        "refunded_on": "2026-12-02",
        "reason": "多付",
    }
    allocate = client.post(
        "/payments/p1/allocations",
        data={"csrf_token": token, "version": "1", "alloc.r2": "600"},
        follow_redirects=False,
    )
    assert allocate.status_code == 303
    assert fin.made("allocate_payment")[-1] == {
        "payment_id": "p1",
        "allocations": [{"receivable_id": "r2", "amount_minor": 60_000}],
        "expected_version": 1,
    }
    listing = client.get("/payments")
    assert listing.status_code == 200 and 'data-testid="payment-row"' in listing.text
    client.post("/logout", data={"csrf_token": token})
    assert browser_login(client, "sales1").status_code == 303
    seller = client.get("/payments/p1")
    assert seller.status_code == 200 and 'data-testid="refund-form"' not in seller.text
    assert client.get("/payments/new").status_code == 403


def test_void_a_mistaken_payment(client, fin, finance, sales1, token_for):
    voided = client.post(
        "/api/v1/payments/p1/void",
        json={"reason": "录错客户"},
        headers={**token_for(finance), "If-Match": '"1"'},
    )
    assert voided.status_code == 200
    assert fin.made("void_payment") == [{"payment_id": "p1", "reason": "录错客户", "expected_version": 1}]
    assert client.post("/api/v1/payments/p1/void", json={}, headers=token_for(finance)).status_code == 422
    assert (
        client.post("/api/v1/payments/p1/void", json={"reason": "x"}, headers=token_for(sales1)).status_code
        == 403
    )
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/payments/p1")
    assert 'data-testid="void-form"' in page.text
    form = {"csrf_token": csrf_of(page.text), "version": "1", "void_reason": "重复录入"}
    assert client.post("/payments/p1/void", data=form, follow_redirects=False).status_code == 303
    assert fin.made("void_payment")[-1] == {"payment_id": "p1", "reason": "重复录入", "expected_version": 1}
    fin.payment = _payment(
        status="voided", voided_at="2026-12-02T01:00:00Z", void_reason="重复录入", allocations=[]
    )
    shown = client.get("/payments/p1").text
    assert 'data-testid="payment-void-badge"' in shown and 'data-testid="void-form"' not in shown


def test_the_customer_page_has_a_payments_tab_for_finance_not_support(client, fin, finance, make_user):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/customers/c1?tab=payments")
    assert page.status_code == 200 and 'data-testid="customer-payment-row"' in page.text
    assert "/payments/new?customer_id=c1" in page.text and "¥5.00" in page.text  # the credit
    assert fin.made("list_payments")[-1]["filters"] == {"customer_id": "c1"}
    make_user("support", ["support"], "team-support")
    client.cookies.clear()
    assert browser_login(client, "support").status_code == 303
    assert 'data-testid="tab-payments"' not in client.get("/customers/c1").text


def test_a_refused_allocation_is_shown_on_its_row(client, fin, finance):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/payments/new?customer_id=c1")
    assert 'href="/static/finance-payments.css"' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "customer_id": "c1",
        "amount": "2000",
        "received_on": "2026-12-01",
        "alloc.r1": "0",
        "alloc.r2": "600",
    }
    fin.errors["record_payment"] = ValidationError.for_field(
        "allocations.0.amount_minor", "超过未收 more than outstanding"
    )
    refused = client.post("/payments", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert fin.made("record_payment")[-1]["data"]["allocations"] == [
        {"receivable_id": "r2", "amount_minor": 60_000}
    ]
    row = refused.text.split('data-receivable-id="r2"')[1].split("</tr>")[0]
    assert 'data-testid="allocation-row-error"' in row and "超过未收" in row
    assert 'data-testid="allocation-row-error"' not in refused.text.split('data-receivable-id="r2"')[0]
