"""A receivable's published state (events, RPC answers, search documents), and publishing it.

Every area that changes a receivable (order events, payments, write-offs, the overdue timer)
publishes it through ``publish`` so its event, its audit line and its version move together.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.audit import Changes
from kernel.clock import isoformat, utcnow

from finance.contracts.receivables import RECEIVABLE_UPDATED
from finance.domain import ledger
from finance.handlers.invoice_state import settle_invoices_of
from finance.settings import finance_settings
from finance.storage.models import ReceivableRow
from finance.storage.unit import FinanceUnit


def business_today(now: datetime | None = None) -> date:
    """The calendar day in the business's zone (due dates are days there, not in UTC)."""
    return (now or utcnow()).astimezone(ZoneInfo(finance_settings().business_timezone)).date()


def balance_of(row: ReceivableRow) -> ledger.Balance:
    return ledger.Balance(row.amount_minor, row.paid_minor, row.written_off_minor)


def receivable_state(row: ReceivableRow, today: date | None = None) -> dict[str, Any]:
    today = today or business_today()
    days = ledger.overdue_days(row.due_date, today, row.status)
    return {
        "id": row.id,
        "order_id": row.order_id,
        "order_number": row.order_number,
        "seq": row.seq,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "due_date": row.due_date.isoformat(),
        "currency": row.currency,
        "amount_minor": row.amount_minor,
        "paid_minor": row.paid_minor,
        "written_off_minor": row.written_off_minor,
        "outstanding_minor": balance_of(row).outstanding,
        "status": row.status,
        "overdue_days": days,
        "overdue_bucket": ledger.bucket_of(days),
        "as_of": today.isoformat(),
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def _leave_overdue(row: ReceivableRow, today: date) -> None:
    """Settled (or re-planned to a later due date), an instalment leaves the overdue buckets it
    announced: the overdue timer announces afresh if it ever falls due again."""
    current = ledger.bucket_of(ledger.overdue_days(row.due_date, today, row.status))
    if ledger.bucket_rank(current) < ledger.bucket_rank(row.overdue_bucket):
        row.overdue_bucket = current
        if current is None:
            row.overdue_since = None


def publish(
    unit: FinanceUnit,
    row: ReceivableRow,
    *,
    changes: Changes | None = None,
    event_type: str = RECEIVABLE_UPDATED,
    today: date | None = None,
) -> dict[str, Any]:
    """Bump the version, re-derive the status from the balance, emit the event, audit ``changes``."""
    balance = balance_of(row)
    balance.check()
    row.status = ledger.status_of(balance, cancelled=row.cancelled_at is not None)
    _leave_overdue(row, today or business_today())
    row.version += 1
    row.updated_at = utcnow()
    unit.session.flush()
    state = receivable_state(row, today)
    unit.record(
        "receivable",
        event_type.split(".", 1)[1],
        state,
        customer_id=row.customer_id,
        changes=changes,
        event_type=event_type,
    )
    if row.status == "paid" and 0 < row.paid_minor == row.amount_minor:
        settle_invoices_of(unit, row.id)  # fully paid in money (not partly written off)
    return state
