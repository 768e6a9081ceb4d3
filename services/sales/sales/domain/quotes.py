"""The rules of a quote version's life: which move is allowed from which status, and when a
manager must approve. Framework-free (typed errors only).

    draft ──submit──▶ approved                 (largest line discount ≤ the threshold)
    draft ──submit──▶ pending_approval ──approve──▶ approved ──send──▶ sent
                                       └─reject──▶ rejected
    approved / sent ──mark final──▶ (is_final; exactly one per quote)

A submitted version never changes again: a revision is a new version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from kernel.errors import Conflict, FieldErrors, ValidationError

from sales.domain.pricing import Line, check_lines

DRAFT, PENDING, APPROVED, REJECTED, SENT = "draft", "pending_approval", "approved", "rejected", "sent"
MAX_COMMENT_CHARS = 2000
MAX_NOTES_CHARS = 5000
MAX_VALIDITY_DAYS = 366 * 2

# action → the statuses it may start from
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "edit": (DRAFT,),
    "submit": (DRAFT,),
    "approve": (PENDING,),
    "reject": (PENDING,),
    "send": (APPROVED,),
    "mark_final": (APPROVED, SENT),
}
# statuses that have a rendered PDF (and may be reminded of their expiry)
ISSUED = (APPROVED, SENT)


@dataclass(frozen=True)
class Submission:
    status: str  # approved or pending_approval
    needs_approval: bool
    auto_approved: bool


def require_status(action: str, status: str, *, n: int) -> None:
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        verb = action.replace("_", " ")
        raise Conflict(
            f"version {n} is {status}: only a version that is {' or '.join(allowed)} can {verb}",
            [{"field": "status", "message": f"is {status}"}],
        )


def needs_approval(max_discount_pct: Decimal, threshold_pct: Decimal) -> bool:
    """Above the threshold a manager decides; at or below it the quote approves itself."""
    return max_discount_pct > threshold_pct


def submission(max_discount_pct: Decimal, threshold_pct: Decimal) -> Submission:
    if needs_approval(max_discount_pct, threshold_pct):
        return Submission(PENDING, needs_approval=True, auto_approved=False)
    return Submission(APPROVED, needs_approval=False, auto_approved=True)


def clean_comment(comment: object, *, required: bool) -> str | None:
    if comment is not None and not isinstance(comment, str):
        raise ValidationError.for_field("comment", "must be text")
    text = (comment or "").strip()
    if required and not text:
        raise ValidationError.for_field("comment", "a rejection needs a comment saying why")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError.for_field("comment", f"at most {MAX_COMMENT_CHARS} characters")
    return text or None


def expiry_window(today: date, reminder_days: int) -> tuple[date, date]:
    """Valid-until dates whose reminder is due today: from today to ``reminder_days`` ahead (an
    already expired version is not reminded any more)."""
    return today, today + timedelta(days=reminder_days)


def expiry_due(valid_until: date, today: date, reminder_days: int) -> bool:
    first, last = expiry_window(today, reminder_days)
    return first <= valid_until <= last


# -- the create / new-version body ------------------------------------------------------------------
BODY_FIELDS = frozenset({"currency", "valid_until", "lines", "notes"})
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class QuoteInput:
    currency: str
    valid_until: date
    lines: list[Line]
    notes: str | None


def clean_body(data: Any, *, today: date, default_currency: str = "CNY") -> QuoteInput:
    """``{currency, valid_until, lines, notes}`` checked at once; every problem names its field."""
    errors = FieldErrors()
    if not isinstance(data, dict):
        raise ValidationError.for_field("data", "must be an object with currency, valid_until, lines")
    for key in sorted(set(data) - BODY_FIELDS):
        errors.add(key, "is not a field of a quote")
    currency = data.get("currency") or default_currency
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        errors.add("currency", "must be an ISO 4217 code such as CNY")
    valid_until = _day(data.get("valid_until"))
    if valid_until is None:
        errors.add("valid_until", "must be a date (YYYY-MM-DD)")
    elif valid_until < today:
        errors.add("valid_until", "must not be in the past")
    elif valid_until > today + timedelta(days=MAX_VALIDITY_DAYS):
        errors.add("valid_until", f"at most {MAX_VALIDITY_DAYS} days ahead")
    notes = data.get("notes")
    if notes is not None and not isinstance(notes, str):
        errors.add("notes", "must be text")
    elif isinstance(notes, str) and len(notes.strip()) > MAX_NOTES_CHARS:
        errors.add("notes", f"at most {MAX_NOTES_CHARS} characters")
    lines = check_lines(data.get("lines"), errors)
    errors.raise_if_any()
    assert valid_until is not None and isinstance(currency, str)
    text = notes.strip() if isinstance(notes, str) else ""
    return QuoteInput(currency, valid_until, lines, text or None)


def _day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
