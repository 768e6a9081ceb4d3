"""The funnel's move rules (pure)."""

from __future__ import annotations

from datetime import date

import pytest
from kernel.errors import Conflict, ValidationError
from sales.domain.stages import Move, check_move, parse_stage

REASONS = {"price", "competitor"}
CLOSE = date(2026, 12, 31)


def _fields(exc: pytest.ExceptionInfo[Exception]) -> set[str]:
    return {e["field"] for e in getattr(exc.value, "errors", [])}


def test_labels_and_codes_are_both_accepted():
    assert parse_stage("商务谈判") == "negotiation" and parse_stage("won") == "won"
    with pytest.raises(ValidationError):
        parse_stage("signed")


def test_advancing_needs_close_date_and_amount_but_going_back_does_not():
    with pytest.raises(ValidationError) as exc:
        check_move(Move("qualification", "demo", 0, None), REASONS)
    assert _fields(exc) == {"expected_close_date", "amount_minor"}
    check_move(Move("qualification", "demo", 100, CLOSE), REASONS)
    check_move(Move("negotiation", "demo", 0, None), REASONS)  # back a step: nothing required


def test_lost_needs_a_known_reason_and_only_lost_takes_one():
    with pytest.raises(ValidationError) as exc:
        check_move(Move("demo", "lost", 100, CLOSE), REASONS)
    assert _fields(exc) == {"lost_reason"}
    with pytest.raises(ValidationError):
        check_move(Move("demo", "lost", 100, CLOSE, lost_reason="weather"), REASONS)
    check_move(Move("demo", "lost", 100, CLOSE, lost_reason="price"), REASONS)
    with pytest.raises(ValidationError):
        check_move(Move("demo", "trial", 100, CLOSE, lost_reason="price"), REASONS)


def test_closed_stays_closed_unless_reopened_by_a_manager_or_won_by_an_order():
    with pytest.raises(Conflict):
        check_move(Move("lost", "demo", 100, CLOSE), REASONS)
    check_move(Move("lost", "demo", 100, CLOSE, may_reopen=True), REASONS)
    check_move(Move("lost", "won", 0, None, by_order=True), REASONS)
    with pytest.raises(Conflict):
        check_move(Move("demo", "demo", 100, CLOSE), REASONS)
