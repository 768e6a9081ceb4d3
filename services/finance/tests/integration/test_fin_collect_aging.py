"""The aging report and the collections forecast: numbers per group and bucket, per currency,
only over what the caller may read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.contracts.collections import Aging, Forecast
from finance.handlers import aging, payments
from finance_ledger_fixtures import add_receivable
from finance_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, SUPPORT
from kernel.errors import ValidationError
from kernel.identity import SYSTEM

AS_OF = "2026-12-15"


@pytest.fixture
def book(finance: FinanceApp, customer: Callable[..., Any]) -> dict[str, Any]:
    """East (sales1): A科技 current 1,000 + 10 days late 2,000 (half paid) + 45 days 3,000;
    South (sales2): B贸易 75 days 4,000 + 120 days 5,000 + USD 20 days 700; a paid one."""
    east = customer(SALES1, "A科技有限公司")
    south = customer(SALES2, "B贸易有限公司")

    def add(who: dict[str, Any], amount: int, due: date, seq: int, **kw: Any) -> dict[str, Any]:
        owner = "u-sales1" if who is east else "u-sales2"
        team = "team-east" if who is east else "team-south"
        state: dict[str, Any] = finance.run(
            SYSTEM, add_receivable, who["id"], amount, due, seq=seq, owner_id=owner, team_id=team, **kw
        )
        return state

    add(east, 1_000, date(2026, 12, 15), 1)
    late = add(east, 2_000, date(2026, 12, 5), 2)
    add(east, 3_000, date(2026, 10, 31), 3)
    add(south, 4_000, date(2026, 10, 1), 1)
    add(south, 5_000, date(2026, 8, 17), 2)
    add(south, 700, date(2026, 11, 25), 3, currency="USD")
    paid = add(south, 9_000, date(2026, 9, 1), 4)
    for who, receivable, amount in ((east, late, 1_000), (south, paid, 9_000)):
        finance.run(
            FINANCE,
            payments.record_payment,
            {
                "customer_id": who["id"],
                "received_on": "2026-12-01",
                "amount_minor": amount,
                "allocations": [{"receivable_id": receivable["id"], "amount_minor": amount}],
            },
        )
    return {"east": east, "south": south}


def figures(rows: list[dict[str, Any]]) -> dict[tuple[str | None, str], tuple[int, ...]]:
    columns = ("current", "b1_30", "b31_60", "b61_90", "b90_plus", "total", "count")
    return {(r["key"], r["currency"]): tuple(r[c] for c in columns) for r in rows}


def test_finance_sees_every_owner_with_amounts_in_their_buckets(finance: FinanceApp, book: Any) -> None:
    report = finance.run(FINANCE, aging.aging_report, "owner", None, None, AS_OF)
    Aging.model_validate(report)
    assert figures(report["rows"]) == {
        ("u-sales1", "CNY"): (1_000, 1_000, 3_000, 0, 0, 5_000, 3),
        ("u-sales2", "CNY"): (0, 0, 0, 4_000, 5_000, 9_000, 2),
        ("u-sales2", "USD"): (0, 700, 0, 0, 0, 700, 1),
    }
    assert figures(report["totals"]) == {
        (None, "CNY"): (1_000, 1_000, 3_000, 4_000, 5_000, 14_000, 5),
        (None, "USD"): (0, 700, 0, 0, 0, 700, 1),
    }
    assert {r["name"] for r in report["rows"]} == {"sales1", "sales2"}  # directory names


def test_grouped_by_team_and_by_customer(finance: FinanceApp, book: Any) -> None:
    teams = finance.run(ADMIN, aging.aging_report, "team", None, None, AS_OF)
    assert figures(teams["rows"])[("team-east", "CNY")] == (1_000, 1_000, 3_000, 0, 0, 5_000, 3)
    customers = finance.run(FINANCE, aging.aging_report, "customer", None, "team-south", AS_OF)
    assert {(r["key"], r["name"], r["currency"]) for r in customers["rows"]} == {
        (book["south"]["id"], "B贸易有限公司", "CNY"),
        (book["south"]["id"], "B贸易有限公司", "USD"),
    }


def test_sellers_and_managers_see_their_own_rows_only(finance: FinanceApp, book: Any) -> None:
    mine = finance.run(SALES1, aging.aging_report, "owner", None, None, AS_OF)
    assert [r["key"] for r in mine["rows"]] == ["u-sales1"]
    team = finance.run(MANAGER, aging.aging_report, "team", None, None, AS_OF)
    assert [r["key"] for r in team["rows"]] == ["team-east"]
    narrowed = finance.run(SALES1, aging.aging_report, "owner", "u-sales2", None, AS_OF)
    assert narrowed["rows"] == []  # a filter narrows what you see, never widens it
    assert finance.run(SUPPORT, aging.aging_report, "owner", None, None, AS_OF)["rows"] == []


def test_the_largest_groups_only_with_totals_over_all(finance: FinanceApp, book: Any) -> None:
    report = finance.run(FINANCE, aging.aging_report, "owner", None, None, AS_OF, 2)
    # each currency's largest first (the USD one), then by total: u-sales1's CNY 5,000 is cut
    assert [(r["key"], r["currency"]) for r in report["rows"]] == [("u-sales2", "CNY"), ("u-sales2", "USD")]
    assert report["groups"] == 3
    assert {t["currency"]: t["total"] for t in report["totals"]} == {"CNY": 14_000, "USD": 700}
    with pytest.raises(ValidationError):
        finance.run(FINANCE, aging.aging_report, "owner", None, None, AS_OF, 0)


def test_a_later_day_moves_amounts_to_older_buckets(finance: FinanceApp, book: Any) -> None:
    report = finance.run(FINANCE, aging.aging_report, "owner", "u-sales1", None, "2027-01-20")
    assert figures(report["rows"]) == {("u-sales1", "CNY"): (0, 0, 2_000, 3_000, 0, 5_000, 3)}


@pytest.mark.parametrize(
    ("args", "field"),
    [(("week",), "group_by"), (("owner", None, None, "15/12/2026"), "as_of"), (("owner", 7), "owner")],
)
def test_bad_questions_name_their_field(finance: FinanceApp, args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        finance.run(FINANCE, aging.aging_report, *args)
    assert error.value.errors[0]["field"] == field


def test_the_forecast_expects_each_month_and_carries_what_is_overdue(finance: FinanceApp, book: Any) -> None:
    forecast = finance.run(FINANCE, aging.collections_forecast, 3, None, None, None, AS_OF)
    Forecast.model_validate(forecast)
    assert forecast["months"] == ["2026-12", "2027-01", "2027-02"]
    cny = [
        (i["month"], i["expected_minor"], i["overdue_carried_minor"])
        for i in forecast["items"]
        if i["currency"] == "CNY"
    ]
    assert cny == [("2026-12", 1_000, 13_000), ("2027-01", 0, 0), ("2027-02", 0, 0)]
    assert forecast["later_minor"] == {}


def test_the_forecast_of_future_plans_and_its_limits(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    for seq, (due, amount) in enumerate(
        [
            (date(2026, 12, 20), 200),
            (date(2027, 1, 10), 300),
            (date(2027, 1, 31), 50),
            (date(2027, 8, 1), 400),
        ],
        1,
    ):
        finance.run(SYSTEM, add_receivable, acme["id"], amount, due, seq=seq)
    forecast = finance.run(SALES1, aging.collections_forecast, 3, None, None, acme["id"], AS_OF)
    assert [(i["month"], i["total_minor"]) for i in forecast["items"]] == [
        ("2026-12", 200),
        ("2027-01", 350),
        ("2027-02", 0),
    ]
    assert forecast["later_minor"] == {"CNY": 400}
    assert finance.run(SALES2, aging.collections_forecast, 3, None, None, acme["id"], AS_OF)["items"] == []
    for months in (0, 25, 2.0, True):
        with pytest.raises(ValidationError):
            finance.run(FINANCE, aging.collections_forecast, months)
