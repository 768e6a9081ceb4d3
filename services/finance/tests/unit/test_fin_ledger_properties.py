"""The ledger's arithmetic under random histories: whatever sequence of allocations, write-offs,
re-plans and cancellations is tried, each step either keeps amount = paid + outstanding +
written off with nothing negative, or is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from finance.domain import ledger
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel.errors import ValidationError

AMOUNT = st.integers(min_value=-1_000, max_value=2_000_000)
STEP = st.tuples(st.sampled_from(["allocate", "write_off", "replan", "cancel"]), AMOUNT)


def _apply(balance: ledger.Balance, op: str, amount: int) -> ledger.Balance:
    if op == "allocate":
        return ledger.allocate(balance, amount)
    if op == "write_off":
        return ledger.write_off(balance, amount)
    if op == "replan":
        return ledger.replan(balance, amount)
    return ledger.cancel(balance)


@settings(max_examples=300)
@given(start=st.integers(min_value=1, max_value=1_000_000), steps=st.lists(STEP, max_size=30))
def test_every_step_keeps_the_books_balanced_or_is_refused(start: int, steps: list[tuple[str, int]]) -> None:
    balance = ledger.Balance(start, 0, 0)
    for op, amount in steps:
        try:
            after = _apply(balance, op, amount)
        except ValidationError:
            continue  # refused: the balance stays as it was
        after.check()
        assert after.amount == after.paid + after.outstanding + after.written_off
        assert after.outstanding >= 0
        # settled money never disappears: paid and written off only grow
        assert after.paid >= balance.paid and after.written_off >= balance.written_off
        if op == "allocate":
            assert after.paid - balance.paid == amount
        balance = after
    status = ledger.status_of(balance)
    assert (status in ("paid", "written_off")) == (balance.outstanding == 0)


@given(amount=st.integers(min_value=1, max_value=10**6), extra=st.integers(min_value=1, max_value=10**6))
def test_an_allocation_beyond_the_outstanding_is_refused(amount: int, extra: int) -> None:
    balance = ledger.Balance(amount, 0, 0)
    with pytest.raises(ValidationError):
        ledger.allocate(balance, amount + extra)
    assert ledger.allocate(balance, amount).outstanding == 0


@pytest.mark.parametrize("value", [1.0, 0.5, 100.0, True, False, "100", None, float("nan")])
def test_money_is_never_a_float_a_bool_or_text(value: Any) -> None:
    with pytest.raises(ValidationError):
        ledger.require_minor(value, "amount_minor")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_passes_as_minor_units(value: float) -> None:
    with pytest.raises(ValidationError):
        ledger.require_minor(value, "amount_minor")


@given(amount=st.integers(1, 10**6), paid=st.integers(1, 10**6), cancelled=st.booleans())
def test_undoing_an_allocation_restores_what_is_owed(amount: int, paid: int, cancelled: bool) -> None:
    paid = min(paid, amount)
    before = ledger.Balance(amount, 0, 0)
    after = ledger.allocate(before, paid)
    if cancelled:
        after = ledger.cancel(after)
    undone = ledger.unallocate(after, paid, cancelled=cancelled)
    undone.check()
    assert undone == (ledger.Balance(0, 0, 0) if cancelled else before)
    with pytest.raises(ValidationError):
        ledger.unallocate(undone, 1)
