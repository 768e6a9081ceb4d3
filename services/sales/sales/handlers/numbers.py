"""Sales document numbers (Q-2026-000123, C-…, SO-…) on the kernel's per-year counters."""

from __future__ import annotations

from kernel import numbers

from sales.storage.unit import SalesUnit

PREFIXES = {"quote": "Q", "contract": "C", "order": "SO"}


def next_number(unit: SalesUnit, kind: str) -> str:
    return numbers.next_number(unit.session, kind, PREFIXES[kind])
