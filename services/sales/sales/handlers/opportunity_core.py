"""The opportunity's state and its stage moves: what every area that touches an opportunity uses
(the opportunity use cases, placing an order, renewals). The stage history row, the new state's
event and the audit line are written together, in the caller's unit of work."""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import NotFound, PermissionDenied
from kernel.ids import new_id
from sqlalchemy import select

from sales import policy
from sales.contracts.opportunities import CLOSED_STAGES, OPPORTUNITY_STAGE_CHANGED, STAGE_LABELS
from sales.domain.stages import Move, check_move
from sales.storage.models import CustomerRefRow, LostReasonRow, OpportunityRow, StageChangeRow
from sales.storage.unit import SalesUnit


def opportunity_state(row: OpportunityRow, customer_name: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "customer_name": customer_name,
        "customer_owner_id": row.customer_owner_id,
        "title": row.title,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "expected_close_date": row.expected_close_date.isoformat() if row.expected_close_date else None,
        "stage": row.stage,
        "stage_label": STAGE_LABELS[row.stage],
        "stage_changed_at": isoformat(row.stage_changed_at),
        "lost_reason": row.lost_reason,
        "lost_note": row.lost_note,
        "closed_at": isoformat(row.closed_at) if row.closed_at else None,
        "lead_id": row.lead_id,
        "renewal_of_order_id": row.renewal_of_order_id,
        "notes": row.notes,
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "version": row.version,
    }


def customer_name(unit: SalesUnit, customer_id: str) -> str | None:
    ref = unit.session.get(CustomerRefRow, customer_id)
    return ref.name if ref is not None else None


def state_of(unit: SalesUnit, row: OpportunityRow) -> dict[str, Any]:
    return opportunity_state(row, customer_name(unit, row.customer_id))


def load_opportunity(unit: SalesUnit, opportunity_id: Any, *, lock: bool = False) -> OpportunityRow:
    """The opportunity if the caller may read it (NotFound otherwise: no existence leak)."""
    if not isinstance(opportunity_id, str) or not opportunity_id:
        raise NotFound("opportunity id must be a non-empty string")
    stmt = select(OpportunityRow).where(OpportunityRow.id == opportunity_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.OPPORTUNITY.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"opportunity {opportunity_id} does not exist")
    return row


def require_write(unit: SalesUnit, row: OpportunityRow) -> None:
    if not policy.can_write(unit.caller, _ownership(row)):
        raise PermissionDenied("you may not change this opportunity")


def known_lost_reasons(unit: SalesUnit) -> set[str]:
    return set(unit.session.scalars(select(LostReasonRow.code).where(LostReasonRow.active)))


def move_stage(
    unit: SalesUnit,
    row: OpportunityRow,
    target: str,
    *,
    lost_reason: str | None = None,
    lost_note: str | None = None,
    why: str | None = None,
    by_order: bool = False,
) -> dict[str, Any]:
    """Move ``row`` (locked by the caller) to ``target``: checks, history, event, audit."""
    may_reopen = unit.caller.is_admin or policy.is_team_manager(unit.caller, row.team_id)
    move = Move(
        current=row.stage,
        target=target,
        amount_minor=row.amount_minor,
        expected_close_date=row.expected_close_date,
        lost_reason=lost_reason,
        lost_note=lost_note,
        may_reopen=may_reopen,
        by_order=by_order,
    )
    check_move(move, known_lost_reasons(unit) if target == "lost" else ())
    now = utcnow()
    before = state_of(unit, row)
    unit.session.add(
        StageChangeRow(
            id=new_id(),
            opportunity_id=row.id,
            from_stage=row.stage,
            to_stage=target,
            at=now,
            actor_id=unit.caller.user_id,
            amount_minor=row.amount_minor,
        )
    )
    row.stage = target
    row.stage_changed_at = now
    row.lost_reason = lost_reason if target == "lost" else None
    row.lost_note = lost_note if target == "lost" else None
    row.closed_at = now if target in CLOSED_STAGES else None
    row.updated_at = now
    row.version += 1
    state = state_of(unit, row)
    changes: dict[str, Any] = {
        k: [before[k], state[k]] for k in ("stage", "lost_reason", "lost_note") if before[k] != state[k]
    }
    if why:
        changes["reason"] = [None, why]
    unit.record(
        "opportunity",
        "updated",
        state,
        customer_id=row.customer_id,
        changes=changes,
        event_type=OPPORTUNITY_STAGE_CHANGED,
    )
    return state


def close_as_won(unit: SalesUnit, opportunity_id: str, *, order_id: str) -> dict[str, Any] | None:
    """Placing an order wins its opportunity (no-op when it already is won)."""
    row = unit.session.get(OpportunityRow, opportunity_id, with_for_update=True)
    if row is None or row.stage == "won":
        return None
    return move_stage(unit, row, "won", why=f"order {order_id} placed", by_order=True)


def _ownership(row: OpportunityRow) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}
