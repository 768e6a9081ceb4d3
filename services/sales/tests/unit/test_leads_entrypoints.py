"""The recycling timer's entrypoint: runs batches as ``system`` with the settings' days until a
batch is not full; the wire signatures carry no settings a caller could override."""

from __future__ import annotations

import inspect
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from kernel.identity import SYSTEM
from sales.entrypoints import leads as entry
from sales.handlers import lead_recycling


class ScriptedUnits:
    def __init__(self, results: list[int]) -> None:
        self.results = results
        self.calls: list[tuple[Any, ...]] = []

    def run(self, caller: Any, handler: Any, *args: Any) -> int:
        self.calls.append((caller, handler, *args))
        return self.results.pop(0)


def test_the_timer_runs_batches_until_one_is_not_full():
    units = ScriptedUnits([lead_recycling.BATCH, lead_recycling.BATCH, 7])
    entry.LeadEntrypoints.recycle_leads(SimpleNamespace(units=units))  # type: ignore[arg-type]
    assert len(units.calls) == 3
    caller, handler, now, days = units.calls[0]
    assert caller is SYSTEM and handler is lead_recycling.recycle_leads
    assert isinstance(now, datetime) and now.tzinfo is not None
    settings = entry.SETTINGS
    assert days == {
        "A": settings.lead_recycle_days_a,
        "B": settings.lead_recycle_days_b,
        "C": settings.lead_recycle_days_c,
    }
    assert len({call[2] for call in units.calls}) == 1  # one clock reading per round


def test_settings_are_bound_not_taken_from_the_wire():
    for name in ("create_lead", "create_leads", "claim_lead", "assign_from_pool"):
        params = inspect.signature(getattr(entry, name)).parameters
        assert "limits" not in params, name
