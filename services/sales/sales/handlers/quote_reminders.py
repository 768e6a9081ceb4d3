"""The reminder before a quote's valid-until date: to its owner, once per version.

Driven by a timer with an injectable clock (``now``); several service instances share the work
through ``FOR UPDATE SKIP LOCKED``, and the reminder row's unique (kind, subject) plus the
version's ``expiry_reminded_at`` make "once" hold even across restarts.
"""

from __future__ import annotations

from datetime import datetime

from kernel.clock import isoformat
from kernel.ids import new_id
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from sales.contracts import quotes as c
from sales.domain import quotes as rules
from sales.domain.pdf import format_money
from sales.handlers.quote_state import publish, state_of
from sales.handlers.quotes import settings
from sales.storage.models import QuoteRow, QuoteVersionRow, ReminderRow
from sales.storage.unit import SalesUnit

REMINDER_KIND = "quote_expiring"
BATCH = 200


def remind_expiring_quotes(
    unit: SalesUnit, now: datetime, batch: int = BATCH, reminder_days: int | None = None
) -> int:
    """Remind the owners of approved/sent versions expiring within the reminder window; returns
    how many versions this batch handled (a full batch: run again)."""
    days = settings().quote_expiry_reminder_days if reminder_days is None else reminder_days
    today = now.date()
    first, last = rules.expiry_window(today, days)
    rows = unit.session.execute(
        select(QuoteVersionRow, QuoteRow)
        .join(QuoteRow, QuoteRow.id == QuoteVersionRow.quote_id)
        .where(
            QuoteVersionRow.status.in_(rules.ISSUED),
            QuoteVersionRow.expiry_reminded_at.is_(None),
            QuoteVersionRow.valid_until.between(first, last),
        )
        .order_by(QuoteVersionRow.valid_until, QuoteVersionRow.id)
        .limit(batch)
        .with_for_update(of=QuoteVersionRow, skip_locked=True)
    ).all()
    for version, quote in rows:
        before = state_of(unit, quote, version)
        left, until = (version.valid_until - today).days, version.valid_until.isoformat()
        amount = format_money(version.total_minor, version.currency)
        message = (
            f"报价单 {quote.number} v{version.n}（{before['customer_name'] or quote.customer_id}，{amount}）"
            f"将于 {until} 到期（{left} 天后）。Quote {quote.number} v{version.n} expires on {until}."
        )
        unit.session.execute(
            insert(ReminderRow)
            .values(
                id=new_id(),
                kind=REMINDER_KIND,
                subject_id=version.id,
                user_id=quote.owner_id,
                customer_id=quote.customer_id,
                message=message,
                data={
                    "quote_id": quote.id,
                    "version": version.n,
                    "valid_until": version.valid_until.isoformat(),
                },
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["kind", "subject_id"])
        )
        version.expiry_reminded_at = now
        version.version += 1
        reminded = {"expiry_reminded_at": [None, isoformat(now)]}
        publish(unit, quote, version, "expiring", c.QUOTE_EXPIRING, before=before, extra=reminded)
    return len(rows)
