"""Ticket rules without a database: the status machine and its reopen window, pause/resume
shifting the SLA targets in business time, re-prioritizing, the queue's urgency order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from service_desk.domain import tickets as rules
from service_desk.domain.sla import DEFAULT_TARGETS, BusinessCalendar, business_time_between
from service_desk.entrypoints.tickets import without_now
from service_desk.handlers import tickets as handlers

SHANGHAI = ZoneInfo("Asia/Shanghai")
DESK = BusinessCalendar()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Shanghai (the 2nd is a Wednesday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_the_status_machine() -> None:
    now = at(2, 10)
    assert rules.allowed_next("new", None, now, 7) == ("in_progress", "waiting_on_customer", "resolved")
    assert rules.allowed_next("in_progress", None, now, 7) == ("waiting_on_customer", "resolved")
    assert rules.allowed_next("waiting_on_customer", None, now, 7) == ("in_progress", "resolved")
    assert rules.allowed_next("closed", None, now, 7) == ()


def test_reopen_only_within_the_window() -> None:
    resolved = at(2, 10)
    assert "in_progress" in rules.allowed_next("resolved", resolved, resolved + timedelta(days=7), 7)
    late = rules.allowed_next("resolved", resolved, resolved + timedelta(days=7, seconds=1), 7)
    assert late == ("closed",)


def test_dues_from_the_targets_in_business_time() -> None:
    # P2: 2h / 16h; Wednesday 17:00 → first response Thursday 10:00, resolution Friday 15:00
    dues = rules.due_times(DESK, at(2, 17), "P2", DEFAULT_TARGETS)
    assert dues == rules.Dues(at(3, 10), at(4, 15))


def test_a_pause_pushes_the_unmet_targets_out_by_the_business_time_paused() -> None:
    dues = rules.Dues(at(3, 10), at(4, 15))
    # paused Wednesday 17:00 → Thursday 11:00 = 1h Wednesday + 2h Thursday = 3 business hours
    shifted, paused = rules.resumed(DESK, dues, at(2, 17), at(3, 11), first_response_met=False)
    assert paused == timedelta(hours=3)
    assert shifted == rules.Dues(at(3, 13), at(4, 18))
    met, _ = rules.resumed(DESK, dues, at(2, 17), at(3, 11), first_response_met=True)
    assert met.first_response == dues.first_response and met.resolution == at(4, 18)


def test_a_pause_outside_business_hours_moves_nothing() -> None:
    dues = rules.Dues(at(7, 10), at(8, 10))
    shifted, paused = rules.resumed(DESK, dues, at(4, 18, 30), at(7, 8), first_response_met=False)
    assert paused == timedelta(0) and shifted == dues


def test_reprioritizing_keeps_the_pauses() -> None:
    created = at(2, 9)
    dues = rules.due_times(DESK, created, "P3", DEFAULT_TARGETS)
    paused, _ = rules.resumed(DESK, dues, at(2, 10), at(2, 12), first_response_met=False)  # 2h
    moved = rules.reprioritized(DESK, created, paused, "P3", "P1", DEFAULT_TARGETS)
    assert moved == rules.Dues(at(2, 11, 30), at(2, 15))  # 30m + 2h, 4h + 2h


def test_targets_from_settings() -> None:
    targets = rules.parse_targets("P1=15m/2h, P4=1d/5d")
    assert targets["P1"] == (timedelta(minutes=15), timedelta(hours=2))
    assert targets["P4"] == (timedelta(days=1), timedelta(days=5))
    assert targets["P2"] == DEFAULT_TARGETS["P2"]
    for bad in ("P9=1h/2h", "P1=2h", "P1=0m/1h", "P1=3h/1h"):
        with pytest.raises(ValueError):
            rules.parse_targets(bad)


def test_queue_order_most_urgent_first_paused_last() -> None:
    def key(
        name: str, first: datetime, resolution: datetime, met: bool = False, paused: bool = False
    ) -> tuple:
        return rules.queue_key(
            paused=paused,
            first_response_due=first,
            resolution_due=resolution,
            first_responded_at=first if met else None,
            id=name,
        )

    tickets = {
        "responded": key("responded", at(2, 10), at(2, 16), met=True),  # only resolution counts: 16:00
        "first-due": key("first-due", at(2, 11), at(3, 18)),  # 11:00
        "paused": key("paused", at(2, 9, 30), at(2, 12), paused=True),  # most urgent, but paused
        "later": key("later", at(2, 15), at(4, 18)),  # 15:00
    }
    assert [k[2] for k in sorted(tickets.values())] == ["first-due", "later", "responded", "paused"]


def test_the_wire_signature_hides_the_clock() -> None:
    import inspect

    assert "now" not in inspect.signature(without_now(handlers.change_status)).parameters
    assert list(inspect.signature(without_now(handlers.create_ticket)).parameters) == ["unit", "data"]


# -- properties: pauses move the targets by exactly the business time they lasted ----------------
MOMENTS = st.integers(min_value=0, max_value=20 * 24 * 60).map(lambda m: at(1, 0) + timedelta(minutes=m))
PAUSES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3 * 24 * 60), st.integers(min_value=0, max_value=3 * 24 * 60)
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(created=MOMENTS, priority=st.sampled_from(sorted(DEFAULT_TARGETS)), pauses=PAUSES)
def test_pauses_add_exactly_their_business_time(
    created: datetime, priority: str, pauses: list[tuple[int, int]]
) -> None:
    first_target, resolution_target = DEFAULT_TARGETS[priority]
    dues = rules.due_times(DESK, created, priority, DEFAULT_TARGETS)
    cursor, paused_total = created, timedelta(0)
    for gap, length in pauses:  # work for ``gap`` minutes, then wait ``length`` on the customer
        start = cursor + timedelta(minutes=gap)
        end = start + timedelta(minutes=length)
        dues, paused = rules.resumed(DESK, dues, start, end, first_response_met=False)
        paused_total += paused
        cursor = end
    assert business_time_between(DESK, created, dues.resolution) == resolution_target + paused_total
    assert business_time_between(DESK, created, dues.first_response) == first_target + paused_total
    assert dues.first_response <= dues.resolution
    # and a new priority keeps the pauses
    for other in DEFAULT_TARGETS:
        moved = rules.reprioritized(DESK, created, dues, priority, other, DEFAULT_TARGETS)
        assert (
            business_time_between(DESK, created, moved.resolution) == DEFAULT_TARGETS[other][1] + paused_total
        )
