"""Reading receivables: one (with the payments that paid it), a filtered page, and the customer
page's summary. Only what the caller may read (``policy.RECEIVABLE``), decided in SQL.

The aging bucket is not stored for reads (``overdue_bucket`` is the last one *announced*): a
bucket filter is a due-date range relative to the business's today, on the unsettled ones.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kernel.access_sql import visible
from kernel.clock import isoformat
from kernel.errors import NotFound, ValidationError
from kernel.listing import paged, read_filters
from sqlalchemy import ColumnElement, case, func, select

from finance import policy
from finance.contracts.common import OVERDUE_BUCKETS, RECEIVABLE_STATUSES
from finance.contracts.receivables import RECEIVABLE_FILTERS
from finance.domain import ledger
from finance.handlers import receivable_state
from finance.storage.models import AllocationRow, PaymentRow, ReceivableRow, audit_log
from finance.storage.unit import FinanceUnit

UNSETTLED = ("open", "partially_paid")
HISTORY_LIMIT = 100  # newest audit lines shown with a receivable


def _columns(model: Any, access: Any) -> dict[str, Any]:
    return {name: getattr(model, name) for name in access.fields}


def _day(filters: dict[str, str], key: str) -> date | None:
    if key not in filters:
        return None
    try:
        return date.fromisoformat(filters.pop(key))
    except ValueError:
        raise ValidationError.for_field(f"filters.{key}", "must be a date (YYYY-MM-DD)") from None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bucket_range(bucket: str, today: date) -> list[ColumnElement[bool]]:
    """Receivables in ``bucket`` as of ``today``: unsettled, due in the bucket's day range."""
    for first, last, name in ledger.BUCKETS:
        if name == bucket:
            due = ReceivableRow.due_date
            where = [ReceivableRow.status.in_(UNSETTLED), due <= today - timedelta(days=first)]
            if last is not None:
                where.append(due >= today - timedelta(days=last))
            return where
    raise ValidationError.for_field("filters.bucket", f"must be one of {', '.join(OVERDUE_BUCKETS)}")


# -- one ---------------------------------------------------------------------------------------------
def load_receivable(unit: FinanceUnit, receivable_id: Any) -> ReceivableRow:
    if not isinstance(receivable_id, str) or not receivable_id or len(receivable_id) > 64:
        raise ValidationError.for_field("receivable_id", "must be a non-empty string")
    row = unit.session.get(ReceivableRow, receivable_id)
    if row is None or not policy.RECEIVABLE.can_read(unit.caller, _ownership(row)):
        raise NotFound(f"receivable {receivable_id} does not exist")
    return row


def get_receivable(unit: FinanceUnit, receivable_id: Any) -> dict[str, Any]:
    """The receivable with ``payments`` (each allocation that paid it: payment number, date) and
    ``history`` (its audit lines, newest first)."""
    return receivable_on(unit, receivable_id, receivable_state.business_today())


def receivable_on(unit: FinanceUnit, receivable_id: Any, today: date) -> dict[str, Any]:
    row = load_receivable(unit, receivable_id)
    state = receivable_state.receivable_state(row, today)
    paid_by = unit.session.execute(
        select(AllocationRow, PaymentRow.number, PaymentRow.received_on)
        .join(PaymentRow, PaymentRow.id == AllocationRow.payment_id)
        .where(AllocationRow.receivable_id == row.id)
        .order_by(AllocationRow.id)
    )
    state["payments"] = [
        {
            "allocation_id": allocation.id,
            "payment_id": allocation.payment_id,
            "payment_number": number,
            "received_on": received_on.isoformat(),
            "amount_minor": allocation.amount_minor,
            "created_by": allocation.created_by,
            "created_at": isoformat(allocation.created_at),
        }
        for allocation, number, received_on in paid_by
    ]
    trail = unit.session.execute(
        select(audit_log)
        .where(audit_log.c.entity_type == "receivable", audit_log.c.entity_id == row.id)
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(HISTORY_LIMIT)
    )
    state["history"] = [
        {"at": isoformat(line.at), "actor_id": line.actor_id, "action": line.action, "changes": line.changes}
        for line in trail
    ]
    return state


# -- a page ------------------------------------------------------------------------------------------
def list_receivables(
    unit: FinanceUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """filters: customer_id, customer_name, order_id, status, bucket, owner_id, team_id,
    due_before, due_after."""
    return receivables_on(unit, receivable_state.business_today(), filters, cursor, limit)


def receivables_on(
    unit: FinanceUnit, today: date, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """``list_receivables`` as of ``today`` (the aging buckets and overdue days move with it)."""
    wanted = read_filters(
        filters, RECEIVABLE_FILTERS, {"status": RECEIVABLE_STATUSES, "bucket": OVERDUE_BUCKETS}
    )
    where: list[ColumnElement[bool]] = []
    if "bucket" in wanted:
        where += bucket_range(wanted.pop("bucket"), today)
    if "customer_name" in wanted:
        where.append(
            ReceivableRow.customer_name.ilike(f"%{_like(wanted.pop('customer_name').strip())}%", escape="\\")
        )
    due_before, due_after = _day(wanted, "due_before"), _day(wanted, "due_after")
    if due_before is not None:
        where.append(ReceivableRow.due_date <= due_before)
    if due_after is not None:
        where.append(ReceivableRow.due_date >= due_after)
    rows, next_cursor = paged(
        unit.session, unit.caller, ReceivableRow, policy.RECEIVABLE, wanted, cursor, limit, where=where
    )
    return {
        "items": [receivable_state.receivable_state(row, today) for row in rows],
        "next_cursor": next_cursor,
    }


# -- the customer page ---------------------------------------------------------------------------
def receivables_summary(unit: FinanceUnit, customer_id: Any = None) -> dict[str, Any]:
    """What a customer owes (per currency), how much of it is overdue and in which aging bucket,
    how many instalments are open, and its last payment — of what the caller may read. Without
    ``customer_id``: the same over every receivable the caller may read (no last payment)."""
    return summary_on(unit, customer_id, receivable_state.business_today())


def _bucket_case(today: date) -> Any:
    """The aging bucket of a due date as of ``today``, in SQL ("" = not overdue)."""
    due = ReceivableRow.due_date
    whens = []
    for first, _last, name in reversed(ledger.BUCKETS):  # the oldest first: each ``when`` a lower bound
        whens.append((due <= today - timedelta(days=first), name))
    return case(*whens, else_="")


def summary_on(unit: FinanceUnit, customer_id: Any, today: date) -> dict[str, Any]:
    if customer_id is not None and (
        not isinstance(customer_id, str) or not customer_id or len(customer_id) > 64
    ):
        raise ValidationError.for_field("customer_id", "must be a non-empty string")
    outstanding = ReceivableRow.amount_minor - ReceivableRow.paid_minor - ReceivableRow.written_off_minor
    mine = [
        ReceivableRow.status.in_(UNSETTLED),
        visible(policy.RECEIVABLE, unit.caller, _columns(ReceivableRow, policy.RECEIVABLE)),
    ]
    if customer_id is not None:
        mine.append(ReceivableRow.customer_id == customer_id)
    summary: dict[str, Any] = {
        "customer_id": customer_id,
        "as_of": today.isoformat(),
        "outstanding_minor": {},
        "overdue_minor": {},
        "open_count": 0,
        "overdue_count": 0,
        "buckets": {name: {} for name in OVERDUE_BUCKETS},
        "bucket_counts": {name: 0 for name in OVERDUE_BUCKETS},
        "last_payment": None,
    }
    bucket = _bucket_case(today).label("bucket")
    rows = unit.session.execute(
        select(ReceivableRow.currency, bucket, func.count(), func.sum(outstanding))
        .where(*mine)
        .group_by(ReceivableRow.currency, bucket)
    )
    for currency, name, count, owed in rows:
        owed = int(owed or 0)
        summary["open_count"] += count
        summary["outstanding_minor"][currency] = summary["outstanding_minor"].get(currency, 0) + owed
        if name:
            summary["overdue_count"] += count
            summary["overdue_minor"][currency] = summary["overdue_minor"].get(currency, 0) + owed
            summary["buckets"][name][currency] = owed
            summary["bucket_counts"][name] += count
    if customer_id is not None:
        summary["last_payment"] = _last_payment(unit, customer_id)
    return summary


def _last_payment(unit: FinanceUnit, customer_id: str) -> dict[str, Any] | None:
    last = unit.session.execute(
        select(PaymentRow)
        .where(
            PaymentRow.customer_id == customer_id,
            visible(policy.PAYMENT, unit.caller, _columns(PaymentRow, policy.PAYMENT)),
        )
        .order_by(PaymentRow.received_on.desc(), PaymentRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:
        return None
    return {
        "id": last.id,
        "number": last.number,
        "received_on": last.received_on.isoformat(),
        "amount_minor": last.amount_minor,
        "currency": last.currency,
    }


def _ownership(row: ReceivableRow) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}
