"""Quotes: create (version 1), revise (a new version), submit, approve / reject, send, mark final.

Locks: the quote row first, then its version rows — the one lock order of every quote write.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kernel.clock import utcnow
from kernel.errors import Conflict, PermissionDenied
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from sqlalchemy import select

from sales import policy
from sales.contracts import quotes as c
from sales.domain import pricing
from sales.domain import quotes as rules
from sales.handlers import opportunity_core, replicas
from sales.handlers.numbers import next_number
from sales.handlers.quote_pdfs import ensure_pdf
from sales.handlers.quote_state import load_quote, load_version, ownership, publish, state_of
from sales.settings import SalesSettings, sales_settings
from sales.storage.models import QuoteLineRow, QuoteRow, QuoteVersionRow
from sales.storage.unit import SalesUnit


def settings() -> SalesSettings:
    return sales_settings()


def auto_approve_threshold() -> Decimal:
    return Decimal(str(settings().quote_auto_approve_max_discount_pct))


# -- versions ------------------------------------------------------------------------------------------
def create_quote(unit: SalesUnit, opportunity_id: Any, data: Any) -> dict[str, Any]:
    """A new quote on an opportunity the caller may sell on: its version 1, a draft."""
    opportunity = opportunity_core.load_opportunity(unit, opportunity_id, lock=True)
    opportunity_core.require_write(unit, opportunity)
    if opportunity.stage == "lost":
        raise Conflict(
            f"opportunity {opportunity.id} is lost: reopen it before quoting",
            [{"field": "opportunity_id", "message": "the opportunity is lost"}],
        )
    now = utcnow()
    body = rules.clean_body(data, today=now.date())
    replicas.customer_ref(unit, opportunity.customer_id)  # its name on the quote (read if not known)
    quote = QuoteRow(
        id=new_id(),
        number=next_number(unit, "quote"),
        opportunity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        customer_owner_id=opportunity.customer_owner_id,
        owner_id=opportunity.owner_id,
        team_id=opportunity.team_id,
        final_version=None,
        latest_version=1,
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    unit.session.add(quote)
    unit.session.flush()
    return _new_version(unit, quote, 1, body)


def add_quote_version(unit: SalesUnit, quote_id: Any, data: Any) -> dict[str, Any]:
    """The next version of a quote (a revision never changes a submitted version)."""
    quote = load_quote(unit, quote_id, lock=True)
    _require_write(unit, quote)
    body = rules.clean_body(data, today=utcnow().date())
    quote.latest_version += 1
    quote.version += 1
    quote.updated_at = utcnow()
    return _new_version(unit, quote, quote.latest_version, body)


def update_quote_version(unit: SalesUnit, quote_id: Any, n: Any, data: Any) -> dict[str, Any]:
    """Change a draft in place (its lines, validity, notes)."""
    quote = load_quote(unit, quote_id, lock=True)
    _require_write(unit, quote)
    version = load_version(unit, quote, n, lock=True)
    rules.require_status("edit", version.status, n=version.n)
    now = utcnow()
    body = rules.clean_body(data, today=now.date())
    before = state_of(unit, quote, version)
    for line in unit.session.scalars(select(QuoteLineRow).where(QuoteLineRow.quote_version_id == version.id)):
        unit.session.delete(line)
    _fill(unit, version, body)
    version.updated_at = now
    version.version += 1
    return publish(unit, quote, version, "updated", c.QUOTE_VERSION_UPDATED, before=before)


def _new_version(unit: SalesUnit, quote: QuoteRow, n: int, body: rules.QuoteInput) -> dict[str, Any]:
    now = utcnow()
    version = QuoteVersionRow(
        id=new_id(),
        quote_id=quote.id,
        n=n,
        status=rules.DRAFT,
        is_final=False,
        needs_approval=False,
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    unit.session.add(version)
    _fill(unit, version, body)
    return publish(unit, quote, version, "created", c.QUOTE_VERSION_CREATED, before={})


def _fill(unit: SalesUnit, version: QuoteVersionRow, body: rules.QuoteInput) -> None:
    totals = pricing.totals(body.lines)
    version.currency = body.currency
    version.valid_until = body.valid_until
    version.notes = body.notes
    version.subtotal_minor = totals.subtotal_minor
    version.discount_minor = totals.discount_minor
    version.total_minor = totals.total_minor
    version.max_discount_pct = totals.max_discount_pct
    version.needs_approval = rules.needs_approval(totals.max_discount_pct, auto_approve_threshold())
    unit.session.flush()  # the version row before its lines
    unit.session.add_all(
        QuoteLineRow(
            id=new_id(),
            quote_version_id=version.id,
            position=i,
            product=line.product,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            discount_pct=line.discount_pct,
            line_total_minor=line.total_minor,
        )
        for i, line in enumerate(body.lines)
    )


# -- the approval flow ---------------------------------------------------------------------------------
def submit_quote_version(unit: SalesUnit, quote_id: Any, n: Any) -> dict[str, Any]:
    """Ask for approval; within the discount threshold the version approves itself (audited so)."""
    quote = load_quote(unit, quote_id, lock=True)
    _require_write(unit, quote)
    version = load_version(unit, quote, n, lock=True)
    rules.require_status("submit", version.status, n=version.n)
    threshold = auto_approve_threshold()
    outcome = rules.submission(Decimal(version.max_discount_pct), threshold)
    now = utcnow()
    before = state_of(unit, quote, version)
    version.status = outcome.status
    version.needs_approval = outcome.needs_approval
    version.submitted_at = now
    version.updated_at = now
    version.version += 1
    if not outcome.auto_approved:
        return publish(unit, quote, version, "submitted", c.QUOTE_SUBMITTED, before=before)
    version.decided_at = now
    version.decision_comment = (
        f"自动批准 auto-approved: largest discount {version.max_discount_pct}% ≤ {threshold}%"
    )
    ensure_pdf(unit, quote, version, now)
    return publish(
        unit,
        quote,
        version,
        "auto_approved",
        c.QUOTE_APPROVED,
        before=before,
        extra={"auto_approved": [None, True]},
    )


def approve_quote_version(unit: SalesUnit, quote_id: Any, n: Any, comment: Any = None) -> dict[str, Any]:
    return _decide(unit, quote_id, n, comment, approve=True)


def reject_quote_version(unit: SalesUnit, quote_id: Any, n: Any, comment: Any = None) -> dict[str, Any]:
    return _decide(unit, quote_id, n, comment, approve=False)


def _decide(unit: SalesUnit, quote_id: Any, n: Any, comment: Any, *, approve: bool) -> dict[str, Any]:
    quote = load_quote(unit, quote_id, lock=True)
    if not policy.can_approve(unit.caller, ownership(quote)):
        raise PermissionDenied(
            "only the team's manager or an admin may decide on this quote, never its owner"
        )
    text = rules.clean_comment(comment, required=not approve)
    version = load_version(unit, quote, n, lock=True)
    rules.require_status("approve" if approve else "reject", version.status, n=version.n)
    now = utcnow()
    before = state_of(unit, quote, version)
    version.status = rules.APPROVED if approve else rules.REJECTED
    version.decided_by = unit.caller.user_id
    version.decided_at = now
    version.decision_comment = text
    version.updated_at = now
    version.version += 1
    if approve:
        ensure_pdf(unit, quote, version, now)
        return publish(unit, quote, version, "approved", c.QUOTE_APPROVED, before=before)
    return publish(unit, quote, version, "rejected", c.QUOTE_REJECTED, before=before)


def mark_quote_version_sent(unit: SalesUnit, quote_id: Any, n: Any) -> dict[str, Any]:
    quote = load_quote(unit, quote_id, lock=True)
    _require_write(unit, quote)
    version = load_version(unit, quote, n, lock=True)
    rules.require_status("send", version.status, n=version.n)
    now = utcnow()
    before = state_of(unit, quote, version)
    version.status = rules.SENT
    version.sent_at = now
    version.updated_at = now
    version.version += 1
    ensure_pdf(unit, quote, version, now)
    return publish(unit, quote, version, "sent", c.QUOTE_SENT, before=before)


def mark_quote_version_final(unit: SalesUnit, quote_id: Any, n: Any) -> dict[str, Any]:
    """Exactly one final version per quote: the previous final one is un-flagged and re-published."""
    quote = load_quote(unit, quote_id, lock=True)
    _require_write(unit, quote)
    version = load_version(unit, quote, n, lock=True)
    rules.require_status("mark_final", version.status, n=version.n)
    if version.is_final:
        return state_of(unit, quote, version)  # already: nothing changes, nothing is emitted
    now = utcnow()
    if quote.final_version is not None:
        previous = load_version(unit, quote, quote.final_version, lock=True)
        before = state_of(unit, quote, previous)
        previous.is_final = False
        previous.updated_at = now
        previous.version += 1
        publish(unit, quote, previous, "updated", c.QUOTE_VERSION_UPDATED, before=before)
        unit.session.flush()  # the partial unique index holds one final version at a time
    before = state_of(unit, quote, version)
    version.is_final = True
    version.updated_at = now
    version.version += 1
    quote.final_version = version.n
    quote.version += 1
    quote.updated_at = now
    return publish(unit, quote, version, "marked_final", c.QUOTE_MARKED_FINAL, before=before)


def _require_write(unit: SalesUnit, quote: QuoteRow) -> None:
    if not policy.can_write(unit.caller, ownership(quote)):
        raise PermissionDenied(f"you may not change quote {quote.number}")


# -- the customer's name and owner travel on every version -------------------------------------------
def republish_quotes(unit: SalesUnit, customer: CustomerRef) -> None:
    """After a customer's rename or transfer: every version of its quotes, re-published."""
    quotes = unit.session.scalars(
        select(QuoteRow).where(QuoteRow.customer_id == customer.id).order_by(QuoteRow.id).with_for_update()
    ).all()
    now = utcnow()
    for quote in quotes:
        quote.customer_owner_id = customer.owner_id
        versions = unit.session.scalars(
            select(QuoteVersionRow)
            .where(QuoteVersionRow.quote_id == quote.id)
            .order_by(QuoteVersionRow.n)
            .with_for_update()
        ).all()
        for version in versions:
            version.version += 1
            version.updated_at = now
            publish(unit, quote, version, "updated", c.QUOTE_VERSION_UPDATED)


if republish_quotes not in replicas.REPUBLISHERS:
    replicas.REPUBLISHERS.append(republish_quotes)
