"""Leads nobody followed up in time go back to the pool (run by a timer, as ``system``).

A lead is due when its last touch — its assignment, or a follow-up logged since — is older than
its grade's limit (settings ``lead_recycle_days_a/b/c``). Each due lead is recycled once per
assignment: recycling pools it, so it is not due again until someone takes it. Batches lock with
``FOR UPDATE SKIP LOCKED``, so several service copies share the work and a lead being changed by
a user right now is left for the next round.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from sales.domain import leads_assignment as assignment
from sales.handlers.lead_common import bump, lead_state, record, to_pool
from sales.storage.models import LeadRow
from sales.storage.unit import SalesUnit

BATCH = 200


def recycle_leads(
    unit: SalesUnit, now: datetime, days_by_grade: Mapping[str, int], batch: int = BATCH
) -> int:
    """Pool one batch of due leads; returns how many (a full batch: run again)."""
    cutoffs = assignment.recycle_cutoffs(now, days_by_grade)
    touched = func.greatest(
        LeadRow.assigned_at, func.coalesce(LeadRow.last_follow_up_at, LeadRow.assigned_at)
    )
    due = or_(*(and_(LeadRow.grade == grade, touched < cutoff) for grade, cutoff in cutoffs.items()))
    rows = list(
        unit.session.scalars(
            select(LeadRow)
            .where(LeadRow.status == "assigned", LeadRow.assigned_at.is_not(None), due)
            .order_by(LeadRow.assigned_at, LeadRow.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        before = lead_state(row)
        to_pool(unit, row, "recycled", now)
        bump(row, now)
        record(
            unit,
            row,
            "recycled",
            before,
            reason=assignment.recycle_reason(row.grade, days_by_grade[row.grade]),
        )
    return len(rows)
