"""The overdue timer's entrypoint: one business "today" for a sweep, batches until one is short."""

from __future__ import annotations

from datetime import date
from typing import Any

from finance.entrypoints.collections import CollectionsEntrypoints
from finance.handlers import overdue
from finance.service import FinanceService
from finance.settings import finance_settings
from kernel.identity import SYSTEM


class CountingUnits:
    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.calls: list[tuple[Any, ...]] = []

    def run(self, caller: Any, handler: Any, *args: Any) -> int:
        self.calls.append((caller, handler, *args))
        return self.answers.pop(0)


def test_full_batches_are_followed_by_another_until_a_short_one() -> None:
    size = finance_settings().overdue_batch_size
    entrypoints = CollectionsEntrypoints()
    entrypoints.units = CountingUnits([size, size, 3])
    entrypoints.check_overdue()
    calls = entrypoints.units.calls
    assert len(calls) == 3
    assert {c[0] for c in calls} == {SYSTEM} and {c[1] for c in calls} == {overdue.scan_overdue}
    assert len({(c[2], c[4]) for c in calls}) == 1  # the same day and moment for the whole sweep
    assert isinstance(calls[0][2], date) and calls[0][3] == size


def test_the_service_serves_the_collections_rpc() -> None:
    for name in ("aging_report", "collections_forecast", "get_customer_risk", "list_notifications"):
        assert callable(getattr(FinanceService, name))
    assert callable(FinanceService.check_overdue)
