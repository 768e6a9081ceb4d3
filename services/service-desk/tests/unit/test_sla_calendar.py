"""Business-hours arithmetic: a Shanghai desk open 09:00–18:00 Monday–Friday, with a holiday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from service_desk.domain.sla import BusinessCalendar, add_business_time, business_time_between, clock_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESK = BusinessCalendar(holidays=frozenset({date(2026, 10, 1)}))


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_within_one_day() -> None:
    assert add_business_time(DESK, at(2, 10), timedelta(hours=4)) == at(2, 14)


def test_after_hours_starts_next_morning() -> None:
    # Wednesday 20:00 + 30 min -> Thursday 09:30
    assert add_business_time(DESK, at(2, 20), timedelta(minutes=30)) == at(3, 9, 30)


def test_carries_over_the_weekend() -> None:
    # Friday 17:00 + 2h -> Monday 10:00
    assert add_business_time(DESK, at(4, 17), timedelta(hours=2)) == at(7, 10)


def test_skips_holidays() -> None:
    # Wednesday 30 Sep 17:00 + 2h -> Friday 2 Oct 10:00 (1 Oct is a holiday)
    assert add_business_time(DESK, at(30, 17, month=9), timedelta(hours=2)) == at(2, 10, month=10)


def test_between_is_the_inverse_of_add() -> None:
    start = at(4, 16, 15)
    for hours in (0.5, 3, 9, 27, 45):
        due = add_business_time(DESK, start, timedelta(hours=hours))
        assert business_time_between(DESK, start, due) == timedelta(hours=hours)


def test_between_counts_only_business_time() -> None:
    assert business_time_between(DESK, at(4, 17), at(7, 10)) == timedelta(hours=2)
    assert business_time_between(DESK, at(7, 10), at(4, 17)) == timedelta(0)


def test_clock_states() -> None:
    start, due = at(2, 9), at(2, 19)  # 9 business hours (09:00–18:00)
    due = add_business_time(DESK, start, timedelta(hours=10))  # Thursday 10:00
    assert clock_state(DESK, start, due, at(2, 12)) == "ok"
    assert clock_state(DESK, start, due, at(3, 9)) == "near_breach"  # 9 of 10 hours used
    assert clock_state(DESK, start, due, at(3, 10)) == "breached"
    assert clock_state(DESK, start, due, at(3, 12), met_at=at(2, 15)) == "met"


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError):
        add_business_time(DESK, datetime(2026, 12, 2, 10), timedelta(hours=1))


def test_settings_text_is_parsed() -> None:
    calendar = BusinessCalendar.parse(
        timezone="Asia/Shanghai",
        day_start="08:30",
        day_end="17:30",
        weekdays="1,2,3,4,5,6",
        holidays="2026-10-01",
    )
    assert calendar.is_business_day(date(2026, 12, 5))  # a Saturday desk
    assert not calendar.is_business_day(date(2026, 10, 1))
