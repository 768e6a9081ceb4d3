"""Bad-debt write-offs: finance requests, a finance manager (never the requester) decides.

Lock order, everywhere: the receivable, then its write-off. Approving re-checks what the
receivable still owes under its lock (a payment may have arrived since the request): more than
that is a Conflict, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.listing import paged, read_filters
from kernel.money import format_money
from kernel.schema import parse
from sqlalchemy import select

from finance import policy
from finance.contracts import write_offs as c
from finance.domain import ledger
from finance.handlers import credit_risk, notifications, receivable_state
from finance.storage.models import ReceivableRow, WriteOffRow, directory_users
from finance.storage.unit import FinanceUnit

FILTERS = ("status", "customer_id", "receivable_id")
REQUESTED, APPROVED, REJECTED = c.WRITE_OFF_STATUSES
NOTIFICATION_KIND = "write_off.requested"


# -- writes ------------------------------------------------------------------------------------------
def request_write_off(unit: FinanceUnit, receivable_id: Any, data: Any) -> dict[str, Any]:
    """Ask to write off ``amount_minor`` (all that is outstanding by default) of a receivable."""
    if not policy.can_write(unit.caller):
        raise PermissionDenied("only finance may request a write-off")
    request = parse(c.WriteOffCreate, data)
    reason = request.reason.strip()
    if not reason:
        raise ValidationError.for_field("reason", "must not be empty")
    receivable = _lock_receivable(unit, receivable_id)
    if receivable.status == "cancelled":
        raise Conflict(
            f"receivable {receivable.id} is cancelled",
            [{"field": "receivable_id", "message": "is cancelled"}],
        )
    outstanding = receivable_state.balance_of(receivable).outstanding
    if outstanding == 0:
        raise Conflict(
            f"receivable {receivable.id} owes nothing", [{"field": "receivable_id", "message": "is settled"}]
        )
    amount = request.amount_minor if request.amount_minor is not None else outstanding
    if amount > outstanding:
        raise ValidationError.for_field(
            "amount_minor", f"{amount} is more than the {outstanding} outstanding"
        )
    pending = unit.session.scalar(
        select(WriteOffRow.id).where(
            WriteOffRow.receivable_id == receivable.id, WriteOffRow.status == REQUESTED
        )
    )
    if pending is not None:
        raise Conflict(
            f"write-off {pending} is already waiting for approval on this receivable",
            [{"field": "receivable_id", "message": "has an open write-off request"}],
        )
    now = utcnow()
    row = WriteOffRow(
        id=new_id(),
        receivable_id=receivable.id,
        customer_id=receivable.customer_id,
        customer_name=receivable.customer_name,
        customer_owner_id=receivable.customer_owner_id,
        owner_id=receivable.owner_id,
        team_id=receivable.team_id,
        currency=receivable.currency,
        amount_minor=amount,
        reason=reason,
        status=REQUESTED,
        requested_by=unit.caller.user_id,
        requested_at=now,
        version=1,
        updated_at=now,
    )
    unit.session.add(row)
    unit.session.flush()
    state = write_off_state(row, receivable)
    unit.record(
        "write_off",
        "requested",
        state,
        customer_id=row.customer_id,
        changes=diff({}, state, ignore=_NOT_AUDITED),
        event_type=c.WRITE_OFF_REQUESTED,
    )
    _notify_approvers(unit, row, receivable, now)
    return state


def approve_write_off(unit: FinanceUnit, write_off_id: Any, note: Any = None) -> dict[str, Any]:
    """Write the requested amount off the receivable (published as ``receivable.updated``)."""
    return _decide(unit, write_off_id, note, approve=True)


def reject_write_off(unit: FinanceUnit, write_off_id: Any, note: Any = None) -> dict[str, Any]:
    return _decide(unit, write_off_id, note, approve=False)


def _decide(unit: FinanceUnit, write_off_id: Any, note: Any, *, approve: bool) -> dict[str, Any]:
    text = _note(note)
    found = load_write_off(unit, write_off_id)
    if not policy.can_approve_write_off(unit.caller, found.requested_by):
        raise PermissionDenied(
            "a write-off is decided by a finance manager or an admin, never by whoever requested it"
        )
    receivable = _lock_receivable(unit, found.receivable_id)
    row = load_write_off(unit, found.id, lock=True)  # re-read under the lock: decided meanwhile?
    if row.status != REQUESTED:
        raise Conflict(
            f"write-off {row.id} is already {row.status}",
            [{"field": "status", "message": f"is {row.status}"}],
        )
    before = write_off_state(row, receivable)
    if approve:
        _apply(unit, row, receivable)
    now = utcnow()
    row.status = APPROVED if approve else REJECTED
    row.decided_by = unit.caller.user_id
    row.decided_at = now
    row.decision_note = text
    row.version += 1
    row.updated_at = now
    unit.session.flush()
    state = write_off_state(row, receivable)
    unit.record(
        "write_off",
        row.status,
        state,
        customer_id=row.customer_id,
        changes=diff(before, state, ignore=_NOT_AUDITED),
        event_type=c.WRITE_OFF_APPROVED if approve else c.WRITE_OFF_REJECTED,
    )
    return state


def _apply(unit: FinanceUnit, row: WriteOffRow, receivable: ReceivableRow) -> None:
    if receivable.status == "cancelled":
        raise Conflict(
            f"receivable {receivable.id} was cancelled since the request",
            [{"field": "receivable_id", "message": "is cancelled"}],
        )
    before = receivable_state.balance_of(receivable)
    if row.amount_minor > before.outstanding:
        raise Conflict(
            f"the receivable now owes {before.outstanding}, less than the {row.amount_minor} to write off: "
            "reject this request and ask again",
            [{"field": "amount_minor", "message": f"exceeds the {before.outstanding} outstanding now"}],
        )
    after = ledger.write_off(before, row.amount_minor)
    receivable.written_off_minor = after.written_off
    receivable_state.publish(
        unit,
        receivable,
        changes={"written_off_minor": [before.written_off, after.written_off], "write_off": [None, row.id]},
    )
    credit_risk.refresh_customer_risk(unit, receivable.customer_id)


# -- reads -------------------------------------------------------------------------------------------
def get_write_off(unit: FinanceUnit, write_off_id: Any) -> dict[str, Any]:
    row = load_write_off(unit, write_off_id)
    return write_off_state(row, unit.session.get(ReceivableRow, row.receivable_id))


def list_write_offs(
    unit: FinanceUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    wanted = read_filters(filters, FILTERS, {"status": c.WRITE_OFF_STATUSES})
    rows, next_cursor = paged(unit.session, unit.caller, WriteOffRow, policy.WRITE_OFF, wanted, cursor, limit)
    receivables = {
        r.id: r
        for r in unit.session.scalars(
            select(ReceivableRow).where(ReceivableRow.id.in_({row.receivable_id for row in rows}))
        )
    }
    return {
        "items": [write_off_state(row, receivables.get(row.receivable_id)) for row in rows],
        "next_cursor": next_cursor,
    }


def load_write_off(unit: FinanceUnit, write_off_id: Any, *, lock: bool = False) -> WriteOffRow:
    if not isinstance(write_off_id, str) or not write_off_id:
        raise ValidationError.for_field("write_off_id", "must be a non-empty string")
    stmt = select(WriteOffRow).where(WriteOffRow.id == write_off_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.WRITE_OFF.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"write-off {write_off_id} does not exist")
    return row


_NOT_AUDITED = ("version", "updated_at", "status_label", "customer_name")


def write_off_state(row: WriteOffRow, receivable: ReceivableRow | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "receivable_id": row.receivable_id,
        "order_id": receivable.order_id if receivable else None,
        "order_number": receivable.order_number if receivable else None,
        "seq": receivable.seq if receivable else None,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "currency": row.currency,
        "amount_minor": row.amount_minor,
        "reason": row.reason,
        "status": row.status,
        "status_label": c.WRITE_OFF_STATUS_LABELS.get(row.status),
        "requested_by": row.requested_by,
        "requested_at": isoformat(row.requested_at),
        "decided_by": row.decided_by,
        "decided_at": isoformat(row.decided_at) if row.decided_at else None,
        "decision_note": row.decision_note,
        "version": row.version,
        "created_at": isoformat(row.requested_at),
        "updated_at": isoformat(row.updated_at),
    }


# -- helpers -----------------------------------------------------------------------------------------
def _lock_receivable(unit: FinanceUnit, receivable_id: Any) -> ReceivableRow:
    if not isinstance(receivable_id, str) or not receivable_id:
        raise ValidationError.for_field("receivable_id", "must be a non-empty string")
    row = unit.session.scalars(
        select(ReceivableRow)
        .where(ReceivableRow.id == receivable_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or not policy.RECEIVABLE.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"receivable {receivable_id} does not exist")
    return row


def _note(note: Any) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str) or len(note) > c.REASON_MAX:
        raise ValidationError.for_field("note", f"must be text of at most {c.REASON_MAX} characters")
    return note.strip() or None


def _notify_approvers(unit: FinanceUnit, row: WriteOffRow, receivable: ReceivableRow, now: Any) -> None:
    """Tell every active finance manager (but the requester) once that a request waits for them."""
    users = directory_users.c
    approvers = unit.session.scalars(
        select(users.id)
        .where(
            users.active,
            users.roles.any("finance"),
            users.roles.any("manager"),
            users.id != row.requested_by,
        )
        .order_by(users.id)
    ).all()
    if not approvers:
        return
    message = (
        f"坏账核销待审批 Write-off to approve: {row.customer_name} "
        f"{receivable.order_number or receivable.order_id} 第{receivable.seq}期 "
        f"{format_money(row.amount_minor, row.currency)}"
    )
    notifications.notify(
        unit,
        approvers,
        kind=NOTIFICATION_KIND,
        subject_id=row.id,
        message=message,
        customer_id=row.customer_id,
        data={"write_off_id": row.id, "receivable_id": row.receivable_id, "link": f"/write-offs/{row.id}"},
        now=now,
    )


def _ownership(row: Any) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}
