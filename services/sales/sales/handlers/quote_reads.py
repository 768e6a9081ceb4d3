"""Reading quotes: one quote with all its versions, lists (the read policy as SQL), the approval
inbox, the caller's reminders."""

from __future__ import annotations

from typing import Any

from kernel import access_sql
from kernel.clock import isoformat
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import FieldErrors, ValidationError
from sqlalchemy import ColumnElement, Select, and_, func, select, true

from sales import policy
from sales.contracts.quotes import QUOTE_STATUSES
from sales.domain import quotes as rules
from sales.handlers.quote_state import (
    context_of,
    lines_of,
    load_quote,
    load_version,
    state_of,
    version_state,
)
from sales.storage.models import (
    CustomerRefRow,
    OpportunityRow,
    QuotePdfRow,
    QuoteRow,
    QuoteVersionRow,
    ReminderRow,
)
from sales.storage.unit import SalesUnit

FILTERS = ("customer_id", "opportunity_id", "status", "final_only", "all_versions")
_COLUMNS = {
    "owner_id": QuoteRow.owner_id,
    "team_id": QuoteRow.team_id,
    "customer_owner_id": QuoteRow.customer_owner_id,
}


def get_quote(unit: SalesUnit, quote_id: Any) -> dict[str, Any]:
    quote = load_quote(unit, quote_id)
    customer_name, title = context_of(unit, quote)
    rows = unit.session.scalars(
        select(QuoteVersionRow).where(QuoteVersionRow.quote_id == quote.id).order_by(QuoteVersionRow.n)
    ).all()
    texts = _pdf_texts(unit, [r.id for r in rows])
    versions = [
        version_state(
            quote, r, lines_of(unit, r), customer_name=customer_name, title=title, pdf_text=texts.get(r.id)
        )
        for r in rows
    ]
    return {
        "id": quote.id,
        "number": quote.number,
        "opportunity_id": quote.opportunity_id,
        "customer_id": quote.customer_id,
        "customer_name": customer_name,
        "title": title,
        "owner_id": quote.owner_id,
        "team_id": quote.team_id,
        "customer_owner_id": quote.customer_owner_id,
        "final_version": quote.final_version,
        "latest_version": quote.latest_version,
        "created_at": isoformat(quote.created_at),
        "updated_at": isoformat(quote.updated_at),
        "version": quote.version,
        "can_write": policy.can_write(unit.caller, _owner(quote)),
        "can_approve": policy.can_approve(unit.caller, _owner(quote)),
        "versions": versions,
    }


def get_quote_version(unit: SalesUnit, quote_id: Any, n: Any) -> dict[str, Any]:
    quote = load_quote(unit, quote_id)
    return state_of(unit, quote, load_version(unit, quote, n))


def list_quotes(
    unit: SalesUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The current version of each visible quote (the final one when marked, else the latest),
    newest first; ``all_versions`` lists every version instead."""
    size = page_limit(limit)
    values = _filters(filters)
    stmt = _visible(unit).where(_version_filter(values))
    for key, column in (("customer_id", QuoteRow.customer_id), ("opportunity_id", QuoteRow.opportunity_id)):
        if values.get(key):
            stmt = stmt.where(column == values[key])
    if values.get("status"):
        stmt = stmt.where(QuoteVersionRow.status == values["status"])
    if values.get("final_only"):
        stmt = stmt.where(QuoteVersionRow.is_final)
    return _page(unit, stmt, cursor, size)


def list_pending_approvals(unit: SalesUnit, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    """Versions waiting for a decision the caller may take (their team's, never their own)."""
    size = page_limit(limit)
    caller = unit.caller
    if caller.is_admin:
        mine: ColumnElement[bool] = true()
    elif caller.has("manager") and caller.team_id:
        mine = and_(QuoteRow.team_id == caller.team_id, QuoteRow.owner_id != caller.user_id)
    else:
        return {"items": [], "next_cursor": None}
    stmt = (
        select(QuoteRow, QuoteVersionRow)
        .join(QuoteVersionRow, QuoteVersionRow.quote_id == QuoteRow.id)
        .where(QuoteVersionRow.status == rules.PENDING, mine)
    )
    return _page(unit, stmt, cursor, size)


def list_my_reminders(unit: SalesUnit, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    size = page_limit(limit)
    stmt = select(ReminderRow).where(ReminderRow.user_id == unit.caller.user_id)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(ReminderRow.id < _cursor_id(after))
    rows = unit.session.scalars(stmt.order_by(ReminderRow.id.desc()).limit(size + 1)).all()
    items = [
        {
            "id": r.id,
            "kind": r.kind,
            "subject_id": r.subject_id,
            "customer_id": r.customer_id,
            "message": r.message,
            "data": r.data,
            "created_at": isoformat(r.created_at),
            "read_at": isoformat(r.read_at),
        }
        for r in rows[:size]
    ]
    more = len(rows) > size and items
    return {"items": items, "next_cursor": encode_cursor({"id": items[-1]["id"]}) if more else None}


# -- helpers ---------------------------------------------------------------------------------------
def _owner(quote: QuoteRow) -> dict[str, Any]:
    return {"owner_id": quote.owner_id, "team_id": quote.team_id}


def _filters(filters: Any) -> dict[str, Any]:
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise ValidationError.for_field("filters", "must be an object")
    errors = FieldErrors()
    for key, value in filters.items():
        if key not in FILTERS:
            errors.add(f"filters.{key}", "is not a known filter")
        elif key in ("final_only", "all_versions"):
            if value is not None and not isinstance(value, bool):
                errors.add(f"filters.{key}", "must be true or false")
        elif key == "status":
            if value is not None and value not in QUOTE_STATUSES:
                errors.add("filters.status", f"must be one of {', '.join(QUOTE_STATUSES)}")
        elif value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
            errors.add(f"filters.{key}", "must be an id")
    errors.raise_if_any()
    return dict(filters)


def _version_filter(values: dict[str, Any]) -> ColumnElement[bool]:
    if values.get("all_versions"):
        return true()
    current = func.coalesce(QuoteRow.final_version, QuoteRow.latest_version)
    return QuoteVersionRow.n == current


def _visible(unit: SalesUnit) -> Select[QuoteRow, QuoteVersionRow]:
    return (
        select(QuoteRow, QuoteVersionRow)
        .join(QuoteVersionRow, QuoteVersionRow.quote_id == QuoteRow.id)
        .where(access_sql.visible(policy.QUOTE, unit.caller, _COLUMNS))
    )


def _cursor_id(position: Any) -> str:
    value = position["id"]
    if not isinstance(value, str):
        raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
    return value


def _page(unit: SalesUnit, stmt: Select[QuoteRow, QuoteVersionRow], cursor: Any, size: int) -> dict[str, Any]:
    """Newest version first (ids are time-ordered); the cursor holds the last version's id."""
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(QuoteVersionRow.id < _cursor_id(after))
    rows = unit.session.execute(stmt.order_by(QuoteVersionRow.id.desc()).limit(size + 1)).all()
    shown = rows[:size]
    names = _names(unit, [q.customer_id for q, _ in shown])
    titles = _titles(unit, [q.opportunity_id for q, _ in shown])
    texts = _pdf_texts(unit, [v.id for _, v in shown])
    items = [
        version_state(
            q,
            v,
            lines_of(unit, v),
            customer_name=names.get(q.customer_id),
            title=titles.get(q.opportunity_id),
            pdf_text=texts.get(v.id),
        )
        for q, v in shown
    ]
    more = len(rows) > size and items
    return {"items": items, "next_cursor": encode_cursor({"id": shown[-1][1].id}) if more else None}


def _names(unit: SalesUnit, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = unit.session.execute(
        select(CustomerRefRow.id, CustomerRefRow.name).where(CustomerRefRow.id.in_(ids))
    )
    return {i: n for i, n in rows}


def _titles(unit: SalesUnit, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = unit.session.execute(
        select(OpportunityRow.id, OpportunityRow.title).where(OpportunityRow.id.in_(ids))
    )
    return {i: t for i, t in rows}


def _pdf_texts(unit: SalesUnit, version_ids: list[str]) -> dict[str, str]:
    if not version_ids:
        return {}
    rows = unit.session.execute(
        select(QuotePdfRow.quote_version_id, QuotePdfRow.text).where(
            QuotePdfRow.quote_version_id.in_(version_ids)
        )
    )
    return {i: t for i, t in rows}
