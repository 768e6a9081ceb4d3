"""GET /api/v1/analytics/funnel and the /sales/dashboard page, on the fake RPC (the funnel's
numbers are tested against the real service in services/sales/tests/integration/test_analytics.py)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from gateway_fakes import browser_login
from kernel.errors import PermissionDenied
from sales.contracts.analytics import FUNNEL_STEPS
from sales.contracts.opportunities import STAGE_LABELS, STAGES

URL = "/api/v1/analytics/funnel"


def canned_funnel(**query: Any) -> dict[str, Any]:
    """A funnel as the service answers it (JSON): 4 reached qualification, 1 won, 1 lost."""
    reached = dict(zip(FUNNEL_STEPS, (4, 3, 2, 2, 1, 1), strict=True))
    return {
        "currency": query.get("currency", "CNY"),
        "owner_id": query.get("owner_id"),
        "team_id": query.get("team_id"),
        "date_from": query.get("date_from"),
        "date_to": query.get("date_to"),
        "stages": [
            {
                "stage": s,
                "label": STAGE_LABELS[s],
                "probability_pct": 40,
                "count": 1,
                "amount_minor": 123_456,
                "weighted_amount_minor": 49_382,
                "reached": reached.get(s),
            }
            for s in STAGES
        ],
        "conversion": [
            {"from_stage": a, "to_stage": b, "reached_from": reached[a], "reached_to": reached[b], "rate": r}
            for (a, b), r in zip(
                pairwise(FUNNEL_STEPS), ("0.7500", "0.6667", "1.0000", "0.5000", None), strict=True
            )
        ],
        "won": 1,
        "lost": 1,
        "win_rate": "0.5000",
        "cycle": {"won_days": "12.5", "lost_days": "3.0", "overall_days": "7.8"},
        "lost_reasons": [{"reason": "price", "label": "价格 Price", "count": 1, "amount_minor": 5_000}],
        "forecast": [
            {"month": "2026-12", "count": 2, "amount_minor": 300_000, "weighted_amount_minor": 120_000},
            {"month": None, "count": 1, "amount_minor": 700, "weighted_amount_minor": 70},
        ],
        "forecast_total": {"count": 3, "amount_minor": 300_700, "weighted_amount_minor": 120_070},
    }


@pytest.fixture
def answering(rpc: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The sales fake answers ``funnel`` (it answers NotFound to everything else)."""
    fake = rpc.services["sales"]
    original = fake.dispatch

    def dispatch(method: str, kwargs: dict[str, Any]) -> Any:
        if method == "funnel":
            return canned_funnel(**{k: v for k, v in kwargs.items() if k != "caller"})
        return original(method, kwargs)

    monkeypatch.setattr(fake, "dispatch", dispatch)
    return rpc


def test_the_funnel_route_passes_the_query_on_and_types_the_answer(client, sales1, token_for, answering):
    response = client.get(f"{URL}?owner=me&from=2026-11-01&to=2026-11-30", headers=token_for(sales1))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["win_rate"] == "0.5000" and body["conversion"][4]["rate"] is None
    assert body["stages"][0]["reached"] == 4 and body["forecast"][1]["month"] is None
    call = answering.calls_to("funnel")[-1]
    assert call["owner_id"] == sales1.id  # owner=me
    assert (call["date_from"], call["date_to"], call["currency"], call["team_id"]) == (
        "2026-11-01",
        "2026-11-30",
        "CNY",
        None,
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("currency=cny", "currency"),
    ],
)
def test_bad_dates_and_a_backwards_range_are_422_naming_the_parameter(
    client, sales1, token_for, answering, query, field
):
    response = client.get(f"{URL}?{query}", headers=token_for(sales1))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert answering.calls_to("funnel") == []


def test_the_services_refusal_names_the_query_parameter(client, manager, token_for, rpc):
    rpc.failures[("sales", "funnel")] = PermissionDenied(
        "you may see the funnel of your own team only", [{"field": "team_id", "message": "not your team"}]
    )
    response = client.get(f"{URL}?team=other", headers=token_for(manager))
    assert response.status_code == 403
    assert response.json()["errors"] == [{"field": "team", "message": "not your team"}]


def test_roles_without_analytics_are_refused_before_any_rpc(client, finance, token_for, rpc):
    assert client.get(URL, headers=token_for(finance)).status_code == 403
    assert rpc.calls_to("funnel") == []


def test_the_dashboard_draws_the_funnel_as_svg(client, sales1, answering):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/sales/dashboard?from=2026-11-01&owner=me")
    assert page.status_code == 200
    html = page.text
    for testid in ("funnel-chart", "conversion-chart", "lost-chart", "forecast-chart"):
        assert f'data-testid="{testid}"' in html
    assert html.count('data-testid="funnel-chart-bar"') == len(FUNNEL_STEPS)
    assert 'data-testid="win-rate">50.0%<' in html
    assert "¥1,200.70" in html  # forecast total weighted: 120 070 fen
    assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles
    assert answering.calls_to("funnel")[-1]["owner_id"] == sales1.id


def test_the_dashboard_shows_bad_filters_on_the_form(client, sales1, answering):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/sales/dashboard?from=2026-12-02&to=2026-12-01")
    assert page.status_code == 200
    assert 'data-testid="funnel-errors"' in page.text and "from" in page.text
    assert answering.calls_to("funnel") == []
