"""Human document numbers (Q-2026-000123, INV-2026-000001, T-2026-000042): one counter row per
kind and year, incremented in the caller's transaction, so a rolled-back create leaves no gap
and two concurrent creates never share a number (the row lock serializes them)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, text
from sqlalchemy.orm import Session

from kernel.clock import utcnow


def document_counters_table(metadata: MetaData) -> Table:
    return Table(
        "document_counters",
        metadata,
        Column("kind", String(20), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("last", Integer, nullable=False),
    )


def next_number(session: Session, kind: str, prefix: str, *, year: int | None = None) -> str:
    year = year or utcnow().year
    last = session.execute(
        text(
            "INSERT INTO document_counters (kind, year, last) VALUES (:kind, :year, 1) "
            "ON CONFLICT (kind, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last"
        ),
        {"kind": kind, "year": year},
    ).scalar_one()
    return f"{prefix}-{year}-{last:06d}"
