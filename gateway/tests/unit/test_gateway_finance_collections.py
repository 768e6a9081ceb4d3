"""The collections routes and pages on the fake RPC (the numbers are tested against the real
service in services/finance/tests/integration/test_fin_collect_*.py)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import NotFound

AGING = {
    "group_by": "owner",
    "as_of": "2026-12-15",
    "owner": None,
    "team": None,
    "rows": [
        {
            "key": "u-sales1",
            "name": "销售一",
            "currency": "CNY",
            "current": 100_000,
            "b1_30": 0,
            "b31_60": 250_000,
            "b61_90": 0,
            "b90_plus": 5_000,
            "total": 355_000,
            "count": 3,
        }
    ],
    "totals": [
        {
            "key": None,
            "name": "合计 Total",
            "currency": "CNY",
            "current": 100_000,
            "b1_30": 0,
            "b31_60": 250_000,
            "b61_90": 0,
            "b90_plus": 5_000,
            "total": 355_000,
            "count": 3,
        }
    ],
    "groups": 4,
}
FORECAST = {
    "as_of": "2026-12-15",
    "months": ["2026-12", "2027-01"],
    "items": [
        {
            "month": "2026-12",
            "currency": "CNY",
            "expected_minor": 100_000,
            "overdue_carried_minor": 255_000,
            "total_minor": 355_000,
        },
        {
            "month": "2027-01",
            "currency": "CNY",
            "expected_minor": 40_000,
            "overdue_carried_minor": 0,
            "total_minor": 40_000,
        },
    ],
    "later_minor": {"CNY": 9_900},
}
RISK = {
    "id": "c-1",
    "customer_id": "c-1",
    "customer_name": "A科技有限公司",
    "level": "high",
    "previous_level": "medium",
    "overdue_minor": 255_000,
    "currency": "CNY",
    "max_overdue_days": 95,
    "as_of": "2026-12-15",
    "version": 3,
    "updated_at": "2026-12-15T01:00:00+00:00",
}
NOTE = {
    "id": "n-1",
    "kind": "receivable_overdue:31-60",
    "subject_id": "r-1",
    "customer_id": "c-1",
    "message": "应收 SO-2026-000001 #1 已逾期 31 天（31-60）。",
    "data": {"bucket": "31-60"},
    "created_at": "2026-12-15T01:00:00+00:00",
    "read_at": None,
}


@pytest.fixture
def answering(rpc: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = rpc.services["finance"]
    original = fake.dispatch
    answers = {
        "aging_report": AGING,
        "collections_forecast": FORECAST,
        "get_customer_risk": RISK,
        "list_notifications": {"items": [NOTE], "next_cursor": None},
        "mark_notification_read": {**NOTE, "read_at": "2026-12-15T02:00:00+00:00"},
    }

    def dispatch(method: str, kwargs: dict[str, Any]) -> Any:
        if method in answers:
            return answers[method]
        return original(method, kwargs)

    monkeypatch.setattr(fake, "dispatch", dispatch)
    return rpc


def test_aging_passes_the_query_on_with_owner_me(client, sales1, token_for, answering):
    response = client.get(
        "/api/v1/receivables/aging?owner=me&team=t1&group_by=customer&as_of=2026-12-15",
        headers=token_for(sales1),
    )
    assert response.status_code == 200, response.text
    assert response.json()["rows"][0]["b31_60"] == 250_000
    call = answering.calls_to("aging_report")[-1]
    assert (call["owner"], call["team"], call["group_by"], call["as_of"]) == (
        sales1.id,
        "t1",
        "customer",
        "2026-12-15",
    )


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/receivables/aging?group_by=week", "group_by"),
        ("/api/v1/receivables/aging?as_of=15.12.2026", "as_of"),
        ("/api/v1/receivables/forecast?months=0", "months"),
        ("/api/v1/receivables/forecast?months=25", "months"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(client, finance, token_for, answering, url, field):
    response = client.get(url, headers=token_for(finance))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_forecast_and_credit_risk(client, finance, token_for, answering):
    forecast = client.get("/api/v1/receivables/forecast?months=2&customer_id=c-1", headers=token_for(finance))
    assert forecast.status_code == 200 and forecast.json()["later_minor"] == {"CNY": 9_900}
    assert answering.calls_to("collections_forecast")[-1]["months"] == 2
    risk = client.get("/api/v1/customers/c-1/credit-risk", headers=token_for(finance))
    assert risk.status_code == 200 and risk.json()["level"] == "high"


def test_support_has_no_collections(client, make_user, token_for, rpc):
    support = make_user("support", ["support"])
    for url in (
        "/api/v1/receivables/aging",
        "/api/v1/customers/c-1/credit-risk",
        "/api/v1/finance/notifications",
    ):
        assert client.get(url, headers=token_for(support)).status_code == 403
    assert rpc.calls_to("aging_report") == [] and rpc.calls_to("get_customer_risk") == []


def test_an_unknown_customer_risk_is_404(client, finance, token_for):
    response = client.get("/api/v1/customers/nobody/credit-risk", headers=token_for(finance))
    assert response.status_code == 404


def test_notifications_are_listed_and_marked_read(client, sales1, token_for, answering):
    listed = client.get("/api/v1/finance/notifications?unread_only=true", headers=token_for(sales1))
    assert listed.status_code == 200 and listed.json()["items"][0]["kind"] == "receivable_overdue:31-60"
    assert answering.calls_to("list_notifications")[-1]["unread_only"] is True
    read = client.post("/api/v1/finance/notifications/n-1/read", headers=token_for(sales1))
    assert read.status_code == 200 and read.json()["read_at"]
    assert answering.calls_to("mark_notification_read")[-1]["notification_id"] == "n-1"


def test_the_aging_page_links_cells_to_the_receivables_list_and_draws_the_forecast(
    client, finance, answering
):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/receivables/aging?as_of=2026-12-15")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'data-testid="aging-row"' in html and "¥2,500.00" in html
    assert "/receivables?owner_id=u-sales1&amp;bucket=31-60" in html
    assert 'data-testid="forecast-chart"' in html and html.count('data-testid="forecast-bar"') == 2
    assert 'data-testid="nav-aging"' in html and 'data-testid="aging-truncated"' in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles


def test_the_aging_page_with_nothing_to_show(client, sales1, rpc):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/receivables/aging?group_by=team")
    assert page.status_code == 200 and 'data-testid="aging-empty"' in page.text
    bad = client.get("/receivables/aging?as_of=someday")
    assert bad.status_code == 200 and 'data-testid="aging-errors"' in bad.text


def test_the_notifications_page_marks_read(client, sales1, answering):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/finance/notifications")
    assert page.status_code == 200 and 'data-testid="notification"' in page.text
    done = client.post(
        "/finance/notifications/n-1/read", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert answering.calls_to("mark_notification_read")[-1]["notification_id"] == "n-1"


def test_the_customer_page_shows_the_credit_tab(client, sales1, token_for, answering):
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    customer_id = created.json()["id"]
    assert browser_login(client, "sales1").status_code == 303
    assert 'data-testid="tab-credit"' in client.get(f"/customers/{customer_id}").text
    tab = client.get(f"/customers/{customer_id}?tab=credit")
    assert tab.status_code == 200
    assert 'data-level="high"' in tab.text and "95" in tab.text


def test_the_credit_tab_when_the_service_knows_nothing(client, sales1, token_for, rpc):
    rpc.failures[("finance", "get_customer_risk")] = NotFound("no")
    created = client.post("/api/v1/customers", json={"name": "B贸易有限公司"}, headers=token_for(sales1))
    assert browser_login(client, "sales1").status_code == 303
    tab = client.get(f"/customers/{created.json()['id']}?tab=credit")
    assert tab.status_code == 200 and "Not visible to you" in tab.text
