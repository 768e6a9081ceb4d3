"""Collections rules without a database: bucket moves, who hears of them, risk thresholds, months."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from finance.domain import collections as rules
from finance.domain import ledger
from finance.settings import FinanceSettings
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as SettingsError

T = rules.RiskThresholds(
    medium_bucket="31-60", high_bucket="90+", medium_overdue_minor=10_000_000, high_overdue_minor=50_000_000
)


def test_bucket_starts_are_the_due_dates_that_enter_each_bucket() -> None:
    today = date(2026, 12, 31)
    starts = rules.bucket_starts(today)
    assert starts == {
        "1-30": date(2026, 12, 30),
        "31-60": date(2026, 11, 30),
        "61-90": date(2026, 10, 31),
        "90+": date(2026, 10, 1),
    }
    for name, due in starts.items():  # the SQL's cut-off and the ledger agree, day for day
        assert ledger.bucket_of(ledger.overdue_days(due, today, "open")) == name
        younger = ledger.bucket_of(ledger.overdue_days(due + timedelta(days=1), today, "open"))
        assert ledger.bucket_rank(younger) == ledger.bucket_rank(name) - 1


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=400))
def test_a_bucket_only_advances_with_age(earlier: int, later: int) -> None:
    a, b = sorted((earlier, later))
    first, second = ledger.bucket_of(a), ledger.bucket_of(b)
    assert not rules.advanced(second, first)  # never backwards
    assert rules.advanced(first, second) == (ledger.bucket_rank(second) > ledger.bucket_rank(first))


def test_an_injected_today_decides_the_bucket() -> None:
    due = date(2026, 1, 31)
    assert ledger.bucket_of(ledger.overdue_days(due, date(2026, 1, 31), "open")) is None
    assert ledger.bucket_of(ledger.overdue_days(due, date(2026, 2, 1), "open")) == "1-30"
    assert ledger.bucket_of(ledger.overdue_days(due, date(2026, 3, 3), "open")) == "31-60"
    assert ledger.bucket_of(ledger.overdue_days(due, date(2026, 5, 2), "open")) == "90+"
    assert ledger.bucket_of(ledger.overdue_days(due, date(2026, 5, 2), "paid")) is None


def test_the_owner_hears_first_the_managers_from_their_bucket() -> None:
    managers = ["u-manager", "u-sales1"]  # an owner who manages is told once
    assert rules.recipients("u-sales1", managers, "1-30", "31-60") == ["u-sales1"]
    assert rules.recipients("u-sales1", managers, "31-60", "31-60") == ["u-sales1", "u-manager"]
    assert rules.recipients(None, managers, "90+", "31-60") == ["u-manager", "u-sales1"]
    with pytest.raises(ValueError):
        rules.recipients("u-sales1", managers, "1-30", "45 days")


@pytest.mark.parametrize(
    ("amounts", "days", "level"),
    [
        ({}, 0, "none"),
        ({"CNY": 100}, 0, "none"),  # due today is not overdue
        ({"CNY": 100}, 1, "low"),
        ({"CNY": 100}, 30, "low"),
        ({"CNY": 100}, 31, "medium"),
        ({"CNY": 9_999_999}, 5, "low"),
        ({"CNY": 10_000_000}, 5, "medium"),
        ({"CNY": 100}, 90, "medium"),
        ({"CNY": 100}, 91, "high"),
        ({"CNY": 50_000_000}, 1, "high"),
        ({"CNY": 6_000_000, "USD": 6_000_000}, 1, "low"),  # currencies are never added up
    ],
)
def test_risk_levels_follow_the_thresholds(amounts: dict[str, int], days: int, level: str) -> None:
    assert rules.risk_level(rules.Exposure(amounts, days), T) == level


def test_the_largest_overdue_currency_is_reported() -> None:
    assert rules.Exposure({"CNY": 5, "USD": 9}, 3).largest == ("USD", 9)
    assert rules.Exposure({}, 0).largest == (None, 0)
    assert rules.worsened("low", "high") and not rules.worsened("high", "medium")


def test_risk_thresholds_are_settings_and_refuse_unknown_buckets() -> None:
    assert FinanceSettings(risk_high_bucket="61-90").risk_high_bucket == "61-90"
    with pytest.raises(SettingsError):
        FinanceSettings(risk_medium_bucket="45")
    with pytest.raises(SettingsError):  # a typo would otherwise fail every timer tick
        FinanceSettings(overdue_manager_bucket="31-61")


def test_forecast_months_roll_over_the_year() -> None:
    assert rules.forecast_months(date(2026, 11, 15), 3) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert rules.add_months(date(2026, 12, 1), 13) == date(2028, 1, 1)
