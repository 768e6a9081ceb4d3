"""Receivables through the gateway: the REST contract of issue 10 §4 and the pages, on a stand-in
finance service that records each call and answers with canned records (the service's own
behaviour is tested in services/finance/tests)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway.services.finance.fake import empty_summary
from gateway_fakes import browser_login
from kernel.errors import NotFound
from kernel.identity import Caller


def _receivable(**overrides: Any) -> dict[str, Any]:
    record = {
        "id": "r1",
        "order_id": "so1",
        "order_number": "SO-2026-000001",
        "seq": 1,
        "customer_id": "c1",
        "customer_name": "A科技有限公司",
        "customer_owner_id": "u-s1",
        "owner_id": "u-s1",
        "team_id": "t1",
        "due_date": "2027-01-15",
        "currency": "CNY",
        "amount_minor": 12_345_600,
        "paid_minor": 2_345_600,
        "written_off_minor": 0,
        "outstanding_minor": 10_000_000,
        "status": "partially_paid",
        "overdue_days": 45,
        "overdue_bucket": "31-60",
        "as_of": "2027-03-01",
        "version": 3,
    }
    record.update(overrides)
    return record


class FinanceStub:
    """The finance service as far as these routes go: records calls, answers with canned records."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.receivable = _receivable()
        self.summary = empty_summary(None)

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))  # signed by the gateway, as on the wire
        self.calls.append((method, kwargs))
        if method == "list_receivables":
            return {"items": [self.receivable], "next_cursor": "next-page-cursor"}
        if method == "get_receivable":
            if kwargs["receivable_id"] != self.receivable["id"]:
                raise NotFound("receivable does not exist")
            return {
                **self.receivable,
                "payments": [
                    {
                        "allocation_id": "a1",
                        "payment_id": "p1",
                        "payment_number": "PAY-2027-000001",
                        "received_on": "2027-02-01",
                        "amount_minor": 2_345_600,
                        "created_by": "u-finance",
                    }
                ],
                "history": [
                    {"at": "2027-02-01T08:00:00+00:00", "actor_id": "u-finance", "action": "updated",
                     "changes": {"paid_minor": [0, 2_345_600]}},
                ],
            }  # fmt: skip
        if method == "receivables_summary":
            return {**self.summary, "customer_id": kwargs.get("customer_id")}
        raise NotFound(f"{method}: no such record")

    def last(self, method: str) -> dict[str, Any]:
        return [kwargs for m, kwargs in self.calls if m == method][-1]


@pytest.fixture
def ledger(rpc) -> FinanceStub:
    stub = FinanceStub()
    stub.summary = {
        **empty_summary(None),
        "outstanding_minor": {"CNY": 10_500_000},
        "overdue_minor": {"CNY": 10_000_000},
        "open_count": 2,
        "overdue_count": 1,
        "buckets": {"1-30": {}, "31-60": {"CNY": 10_000_000}, "61-90": {}, "90+": {}},
        "bucket_counts": {"1-30": 0, "31-60": 1, "61-90": 0, "90+": 0},
        "last_payment": {
            "id": "p1",
            "number": "PAY-2027-000001",
            "received_on": "2027-02-01",
            "amount_minor": 2_345_600,
            "currency": "CNY",
        },
    }
    rpc.services["finance"] = stub
    return stub


@pytest.fixture
def support(make_user):
    return make_user("support", ["support"])


# -- REST ------------------------------------------------------------------------------------------
def test_list_receivables_with_the_contract_filters(client, ledger, finance, token_for):
    response = client.get(
        "/api/v1/receivables?customer_id=c1&status=partially_paid&bucket=31-60&limit=10",
        headers=token_for(finance),
    )
    assert response.status_code == 200
    page = response.json()
    assert page["next_cursor"] == "next-page-cursor"
    [item] = page["items"]
    contract = ("id", "order_id", "due_date", "amount_minor", "paid_minor", "outstanding_minor", "currency")
    assert {k: item[k] for k in contract} == {k: ledger.receivable[k] for k in contract}
    assert (item["status"], item["overdue_days"]) == ("partially_paid", 45)
    assert ledger.last("list_receivables") == {
        "filters": {"customer_id": "c1", "status": "partially_paid", "bucket": "31-60"},
        "cursor": None,
        "limit": 10,
    }
    client.get(
        "/api/v1/receivables?bucket=90%2B&due_before=2027-02-01&cursor=abc", headers=token_for(finance)
    )
    assert ledger.last("list_receivables")["filters"] == {"bucket": "90+", "due_before": "2027-02-01"}
    assert ledger.last("list_receivables")["cursor"] == "abc"


@pytest.mark.parametrize("query, field", [("bucket=100%2B", "bucket"), ("status=late", "status")])
def test_a_bad_bucket_or_status_is_422_naming_it(client, ledger, finance, token_for, query, field):
    response = client.get(f"/api/v1/receivables?{query}", headers=token_for(finance))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not [m for m, _ in ledger.calls if m == "list_receivables"]


def test_get_one_with_its_etag_and_404(client, ledger, sales1, token_for):
    response = client.get("/api/v1/receivables/r1", headers=token_for(sales1))
    assert response.status_code == 200 and response.headers["ETag"] == '"3"'
    body = response.json()
    assert body["payments"][0]["payment_number"] == "PAY-2027-000001"
    assert body["history"][0]["changes"] == {"paid_minor": [0, 2_345_600]}
    missing = client.get("/api/v1/receivables/nope", headers=token_for(sales1))
    assert missing.status_code == 404


def test_the_summary_and_who_may_read(client, ledger, finance, support, token_for):
    summary = client.get("/api/v1/receivables/summary?customer_id=c1", headers=token_for(finance))
    assert summary.status_code == 200
    assert summary.json()["last_payment"]["number"] == "PAY-2027-000001"
    assert ledger.last("receivables_summary") == {"customer_id": "c1"}
    for path in ("/api/v1/receivables", "/api/v1/receivables/r1", "/api/v1/receivables/summary"):
        assert client.get(path, headers=token_for(support)).status_code == 403


# -- pages -------------------------------------------------------------------------------------------
def test_the_list_page_highlights_overdue_and_loads_the_bucket_chips_after(client, ledger, finance):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/receivables?bucket=31-60&status=partially_paid")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="nav-receivables"' in html
    assert 'class="fin-row-overdue"' in html and "逾期 45 天" in html and "¥100,000.00" in html
    assert 'data-testid="next-page"' in html and "cursor=next-page-cursor" in html
    assert ledger.last("list_receivables")["filters"] == {"bucket": "31-60", "status": "partially_paid"}
    assert not [m for m, _ in ledger.calls if m == "receivables_summary"]  # the list does not wait for it
    assert 'hx-get="/receivables/chips?status=partially_paid&amp;bucket=31-60"' in html
    chips = client.get("/receivables/chips?status=partially_paid&bucket=31-60").text
    assert chips.count('data-testid="bucket-chip"') == 4
    assert "¥100,000.00" in chips and "¥105,000.00" in chips  # the 31-60 total, all outstanding
    assert 'href="/receivables?status=partially_paid&amp;bucket=90%2B"' in chips  # keeps the other filters
    assert ledger.last("receivables_summary") == {"customer_id": None}
    assert client.get("/receivables?bucket=soon").status_code == 422
    client.get("/receivables?customer_name=+A%E7%A7%91%E6%8A%80+&status=open")
    assert ledger.last("list_receivables")["filters"] == {"customer_name": "A科技", "status": "open"}


def test_the_receivable_page_shows_its_payments_and_history(client, ledger, sales1):
    assert browser_login(client, "sales1").status_code == 303
    html = client.get("/receivables/r1").text
    assert 'data-testid="receivable-payment-row"' in html and "PAY-2027-000001" in html
    assert 'data-testid="history-line"' in html and "paid_minor" in html
    assert client.get("/receivables/nope").status_code == 404


def test_support_sees_no_receivables(client, ledger, support):
    assert browser_login(client, "support").status_code == 303
    assert 'data-testid="nav-receivables"' not in client.get("/").text
    assert client.get("/receivables").status_code == 403


def test_the_customer_finance_tab(client, ledger, sales1, finance, token_for):
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    customer_id = created.json()["id"]
    assert browser_login(client, "finance").status_code == 303
    overview = client.get(f"/customers/{customer_id}")
    assert 'data-testid="tab-finance"' in overview.text
    assert not [m for m, _ in ledger.calls]  # loaded only when opened
    tab = client.get(f"/customers/{customer_id}?tab=finance")
    assert tab.status_code == 200
    html = tab.text
    assert 'data-testid="customer-finance"' in html
    assert "¥105,000.00" in html and "¥100,000.00" in html  # outstanding, overdue
    assert "PAY-2027-000001" in html  # the last payment
    assert 'data-testid="receivable-row"' in html
    assert ledger.last("list_receivables")["filters"] == {"customer_id": customer_id}
    assert ledger.last("receivables_summary") == {"customer_id": customer_id}
