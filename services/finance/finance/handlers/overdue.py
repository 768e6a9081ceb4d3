"""The overdue timer's use case: announce each instalment's move into a later overdue bucket once.

A receivable stores the bucket it last announced (``overdue_bucket``). ``scan_overdue`` picks,
in SQL, the unsettled ones whose due date already puts them in a later bucket than that, sets it,
publishes ``receivable.overdue`` and notifies (contracts.collections): the next tick the same day
finds nothing, the day it crosses into 31-60 it finds it once more. An instalment that skipped
buckets (created long past due, or the service was down) announces only the bucket it is in.

Batches lock with ``FOR UPDATE SKIP LOCKED``: two service copies running the timer at once take
different rows, and the stored bucket, written in the same transaction as the event, makes
"once" hold across restarts. A settled receivable's stored bucket is reset by
``receivable_state.publish``, so it leaves the overdue state.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kernel.clock import utcnow
from kernel.money import format_money
from kernel.replicas import team_managers
from sqlalchemy import select

from finance.contracts.collections import OVERDUE_NOTIFICATION
from finance.contracts.receivables import RECEIVABLE_OVERDUE
from finance.domain import collections as rules
from finance.domain import ledger
from finance.handlers import credit_risk, receivable_state
from finance.handlers.notifications import notify
from finance.settings import finance_settings
from finance.storage.models import ReceivableRow, directory_users
from finance.storage.unit import FinanceUnit

UNSETTLED = ("open", "partially_paid")


def _advancing(unit: FinanceUnit, today: date, size: int) -> list[ReceivableRow]:
    """Up to ``size`` unlocked rows whose due date put them past the next bucket after the one
    they announced: one query per announced bucket, each one range of
    ``ix_receivables_overdue_next`` (an OR of the four makes PostgreSQL walk every overdue row)."""
    starts = rules.bucket_starts(today)
    names = rules.BUCKET_NAMES
    rows: list[ReceivableRow] = []
    for before, name in zip([None, *names[:-1]], names, strict=True):
        if len(rows) >= size:
            break
        announced = (
            ReceivableRow.overdue_bucket.is_(None)
            if before is None
            else ReceivableRow.overdue_bucket == before
        )
        rows += unit.session.scalars(
            select(ReceivableRow)
            .where(ReceivableRow.status.in_(UNSETTLED), announced, ReceivableRow.due_date <= starts[name])
            .order_by(ReceivableRow.overdue_bucket, ReceivableRow.due_date)
            .limit(size - len(rows))
            .with_for_update(skip_locked=True)
        )
    return rows


def scan_overdue(
    unit: FinanceUnit, today: date | None = None, batch: int | None = None, now: datetime | None = None
) -> int:
    """Announce one batch of bucket changes as of ``today`` (business zone); returns how many
    rows the batch held (a full batch: run again)."""
    now = now or utcnow()
    today = today or receivable_state.business_today(now)
    settings = finance_settings()
    size = batch or settings.overdue_batch_size
    rows = _advancing(unit, today, size)
    customers: set[str] = set()
    for row in rows:
        before = row.overdue_bucket
        bucket = ledger.bucket_of(ledger.overdue_days(row.due_date, today, row.status))
        if bucket is None or not rules.advanced(before, bucket):
            continue  # cannot happen (the query chose it); never announce backwards
        row.overdue_bucket = bucket
        if row.overdue_since is None:
            row.overdue_since = row.due_date + timedelta(days=1)
        state = receivable_state.publish(
            unit,
            row,
            changes={"overdue_bucket": [before, bucket]},
            event_type=RECEIVABLE_OVERDUE,
            today=today,
        )
        _notify(unit, row, bucket, state["overdue_days"], settings.overdue_manager_bucket, now)
        customers.add(row.customer_id)
    for customer_id in sorted(customers):  # one lock order across service copies
        credit_risk.refresh_customer_risk(unit, customer_id, today=today, now=now)
    return len(rows)


def _notify(
    unit: FinanceUnit, row: ReceivableRow, bucket: str, days: int, manager_bucket: str, now: datetime
) -> None:
    managers = team_managers(unit.session, directory_users, row.team_id)
    people = rules.recipients(row.owner_id, managers, bucket, manager_bucket)
    outstanding = receivable_state.balance_of(row).outstanding
    amount = format_money(outstanding, row.currency)
    label = f"{row.order_number or row.order_id} #{row.seq}"
    notify(
        unit,
        people,
        kind=f"{OVERDUE_NOTIFICATION}:{bucket}",
        subject_id=row.id,
        customer_id=row.customer_id,
        message=(
            f"应收 {label}（{row.customer_name}，未收 {amount}）已逾期 {days} 天（{bucket}）。"
            f" Receivable {label} is {days} days overdue."
        ),
        data={
            "receivable_id": row.id,
            "order_id": row.order_id,
            "bucket": bucket,
            "overdue_days": days,
            "outstanding_minor": outstanding,
            "currency": row.currency,
            "due_date": row.due_date.isoformat(),
        },
        now=now,
    )
