"""Human document numbers (Q-2026-000123, C-…, SO-…): one counter row per prefix and year,
incremented in the caller's transaction, so a rolled-back create leaves no gap."""

from __future__ import annotations

from kernel.clock import utcnow
from sqlalchemy import text

from sales.storage.unit import SalesUnit

PREFIXES = {"quote": "Q", "contract": "C", "order": "SO"}


def next_number(unit: SalesUnit, kind: str) -> str:
    prefix = PREFIXES[kind]
    year = utcnow().year
    last = unit.session.execute(
        text(
            "INSERT INTO document_counters (kind, year, last) VALUES (:kind, :year, 1) "
            "ON CONFLICT (kind, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last"
        ),
        {"kind": kind, "year": year},
    ).scalar_one()
    return f"{prefix}-{year}-{last:06d}"
