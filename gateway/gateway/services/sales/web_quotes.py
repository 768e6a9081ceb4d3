"""Pages of the sales service's quotes area: the quote editor (a new quote from an opportunity, a
new version from a quote), the quote page with its versions, actions and PDF preview, the approval
inbox, and the customer page's quotes tab."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, ValidationError
from sales.contracts.quotes import MAX_LINES, QUOTE_STATUS_LABELS

from gateway.auth.permissions import allowed, require
from gateway.auth.records import UserRecord
from gateway.services.sales.api_quotes import Quotes, VersionNumber, pdf_response
from gateway.services.sales.client_quotes import QuotesRpc
from gateway.web.csrf import CSRF_FIELD, verify_csrf
from gateway.web.forms import MAX_FIELD_CHARS, form_errors
from gateway.web.session import WebUser
from gateway.web.templating import SECURITY_HEADERS, render

router = APIRouter(include_in_schema=False)
LINE_FIELDS = ("product", "quantity", "unit_price", "discount_pct")
ACTIONS = {
    "submit": ("quotes:write", lambda s, c, q, n, comment: s.submit_quote_version(c, q, n)),
    "approve": ("quotes:approve", lambda s, c, q, n, comment: s.approve_quote_version(c, q, n, comment)),
    "reject": ("quotes:approve", lambda s, c, q, n, comment: s.reject_quote_version(c, q, n, comment)),
    "mark-final": ("quotes:write", lambda s, c, q, n, comment: s.mark_quote_version_final(c, q, n)),
    "sent": ("quotes:write", lambda s, c, q, n, comment: s.mark_quote_version_sent(c, q, n)),
}
# The PDF preview is framed by our own quote page: the one response that may be framed (same origin).
PDF_FRAME_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


def money(amount_minor: Any, currency: str | None = "CNY") -> str:
    if not isinstance(amount_minor, int):
        return "—"
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 100)
    return f"{sign}{currency or ''} {major:,}.{minor:02d}".strip()


def _common() -> dict[str, Any]:
    return {"money": money, "status_labels": QUOTE_STATUS_LABELS, "max_lines": MAX_LINES}


def _q(value: str) -> str:
    return url_quote(value, safe="")


# -- the editor --------------------------------------------------------------------------------------
async def _read_lines_form(request: Request) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The editor's fields and its line rows (repeated fields, in order; blank rows dropped)."""
    form = await request.form(max_files=0, max_fields=10 + 4 * MAX_LINES + 8)
    verify_csrf(request, form.get(CSRF_FIELD))
    fields: dict[str, str] = {}
    columns: dict[str, list[str]] = {name: [] for name in LINE_FIELDS}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if key in columns:
            columns[key].append(value[:MAX_FIELD_CHARS])
        elif key not in fields and key != CSRF_FIELD:
            fields[key] = value[:MAX_FIELD_CHARS]
    count = max((len(v) for v in columns.values()), default=0)
    rows = [
        {name: (columns[name][i] if i < len(columns[name]) else "").strip() for name in LINE_FIELDS}
        for i in range(count)
    ]
    return fields, [row for row in rows if any(row.values())]


def _number(text: str) -> Any:
    """An integer typed in the form, or the text itself so the service names the field."""
    try:
        return int(text)
    except ValueError:
        return text


def _minor(text: str) -> Any:
    """¥ typed with up to two decimals → 分; anything else passes through to be named by the service."""
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return text
    cents = value * 100
    return int(cents) if value.is_finite() and cents == cents.to_integral_value() else text


def _body(fields: dict[str, str], rows: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "currency": (fields.get("currency") or "CNY").strip().upper(),
        "valid_until": fields.get("valid_until", "").strip(),
        "notes": fields.get("notes", "").strip() or None,
        "lines": [
            {
                "product": row["product"],
                "quantity": _number(row["quantity"]),
                "unit_price_minor": _minor(row["unit_price"]),
                "discount_pct": row["discount_pct"] or "0",
            }
            for row in rows
        ],
    }


def _row_errors(errors: list[dict[str, Any]]) -> tuple[dict[int, list[str]], list[dict[str, Any]]]:
    """``lines[3].discount_pct`` → row 3's messages; the rest stay form-level."""
    rows: dict[int, list[str]] = {}
    general: list[dict[str, Any]] = []
    for error in errors:
        field = str(error.get("field") or "")
        if field.startswith("lines[") and "]" in field:
            index, _, rest = field[len("lines[") :].partition("]")
            if index.isdigit():
                name = rest.lstrip(".") or "line"
                rows.setdefault(int(index), []).append(f"{name}: {error.get('message')}")
                continue
        general.append(error)
    return rows, general


def _rows_of(version: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "product": line["product"],
            "quantity": str(line["quantity"]),
            "unit_price": f"{Decimal(line['unit_price_minor']) / 100:.2f}",
            "discount_pct": str(line["discount_pct"]),
        }
        for line in version.get("lines", [])
    ]


def _editor(
    request: Request,
    *,
    action: str,
    heading: str,
    cancel: str,
    fields: dict[str, Any],
    rows: list[dict[str, str]],
    errors: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    row_errors, general = _row_errors(errors or [])
    return render(
        request,
        "quotes_editor.html",
        {
            "nav": "opportunities",
            "action": action,
            "heading": heading,
            "cancel": cancel,
            "fields": fields,
            "rows": rows or [{name: "" for name in LINE_FIELDS}],
            "row_errors": row_errors,
            "errors": general,
            **_common(),
        },
        status_code=status_code,
    )


@router.get("/opportunities/{opportunity_id}/quotes/new")
async def new_quote(request: Request, opportunity_id: str, user: WebUser) -> Response:
    require(user, "quotes:write")
    return _editor(
        request,
        action=f"/opportunities/{_q(opportunity_id)}/quotes",
        heading="新建报价 New quote",
        cancel=f"/opportunities/{_q(opportunity_id)}",
        fields={"currency": "CNY"},
        rows=[],
    )


@router.post("/opportunities/{opportunity_id}/quotes")
async def create_quote(request: Request, opportunity_id: str, user: WebUser, service: Quotes) -> Response:
    require(user, "quotes:write")
    fields, rows = await _read_lines_form(request)
    try:
        created = await service.create_quote(user.caller, opportunity_id[:64], _body(fields, rows))
    except (ValidationError, Conflict) as exc:
        return _editor(
            request,
            action=f"/opportunities/{_q(opportunity_id)}/quotes",
            heading="新建报价 New quote",
            cancel=f"/opportunities/{_q(opportunity_id)}",
            fields=fields,
            rows=rows,
            errors=form_errors(exc),
            status_code=422 if isinstance(exc, ValidationError) else 409,
        )
    return RedirectResponse(f"/quotes/{_q(created['id'])}", status_code=303)


@router.get("/quotes/{quote_id}/versions/new")
async def new_version(request: Request, quote_id: str, user: WebUser, service: Quotes) -> Response:
    require(user, "quotes:write")
    quote = await service.get_quote(user.caller, quote_id[:64])
    latest = quote["versions"][-1] if quote["versions"] else {}
    return _editor(
        request,
        action=f"/quotes/{_q(quote['id'])}/versions",
        heading=f"{quote['number']} 新版本 New version",
        cancel=f"/quotes/{_q(quote['id'])}",
        fields={
            "currency": latest.get("currency", "CNY"),
            "valid_until": latest.get("valid_until", ""),
            "notes": latest.get("notes") or "",
        },
        rows=_rows_of(latest),
    )


@router.post("/quotes/{quote_id}/versions")
async def add_version(request: Request, quote_id: str, user: WebUser, service: Quotes) -> Response:
    require(user, "quotes:write")
    fields, rows = await _read_lines_form(request)
    try:
        await service.add_quote_version(user.caller, quote_id[:64], _body(fields, rows))
    except (ValidationError, Conflict) as exc:
        return _editor(
            request,
            action=f"/quotes/{_q(quote_id)}/versions",
            heading="新版本 New version",
            cancel=f"/quotes/{_q(quote_id)}",
            fields=fields,
            rows=rows,
            errors=form_errors(exc),
            status_code=422 if isinstance(exc, ValidationError) else 409,
        )
    return RedirectResponse(f"/quotes/{_q(quote_id)}", status_code=303)


# -- the quote page and its actions --------------------------------------------------------------------
def _preview(quote: dict[str, Any]) -> dict[str, Any] | None:
    """The version whose PDF the page shows: the final one, else the newest with a PDF."""
    versions = quote.get("versions", [])
    final = [v for v in versions if v.get("is_final")]
    issued = [v for v in versions if v.get("status") in ("approved", "sent")]
    return final[0] if final else (issued[-1] if issued else None)


@router.get("/quotes/{quote_id}")
async def quote_page(
    request: Request,
    quote_id: str,
    user: WebUser,
    service: Quotes,
    error: str | None = Query(None, max_length=500),
) -> Response:
    require(user, "quotes:read")
    quote = await service.get_quote(user.caller, quote_id[:64])
    return render(
        request,
        "quotes_detail.html",
        {
            "nav": "opportunities",
            "quote": quote,
            "versions": list(reversed(quote["versions"])),
            "preview": _preview(quote),
            "may_write": allowed(user, "quotes:write") and quote.get("can_write", False),
            "may_approve": allowed(user, "quotes:approve") and quote.get("can_approve", False),
            "action_error": error,
            **_common(),
        },
    )


@router.post("/quotes/{quote_id}/versions/{n}/{action}")
async def version_action(
    request: Request, quote_id: str, n: VersionNumber, action: str, user: WebUser, service: Quotes
) -> Response:
    if action not in ACTIONS:
        raise HTTPException(status_code=404, detail=f"no quote action {action!r}")
    capability, run = ACTIONS[action]
    require(user, capability)
    form = await request.form(max_files=0, max_fields=10)
    verify_csrf(request, form.get(CSRF_FIELD))
    comment = form.get("comment")
    back = form.get("next")
    target = back if back == "/approvals" else f"/quotes/{_q(quote_id)}"
    try:
        await run(service, user.caller, quote_id[:64], n, comment if isinstance(comment, str) else None)
    except (ValidationError, Conflict) as exc:
        message = "; ".join(e["message"] for e in form_errors(exc)) or str(exc)
        return RedirectResponse(f"{target}?error={url_quote(message[:400])}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.get("/quotes/{quote_id}/versions/{n}/pdf")
async def quote_pdf(
    quote_id: str, n: VersionNumber, user: WebUser, service: Quotes, download: bool = Query(False)
) -> Response:
    require(user, "quotes:read")
    pdf = await service.get_quote_pdf(user.caller, quote_id[:64], n)
    return pdf_response(pdf, download=download, headers=PDF_FRAME_HEADERS)


# -- the approval inbox --------------------------------------------------------------------------------
@router.get("/approvals")
async def approvals(
    request: Request,
    user: WebUser,
    service: Quotes,
    cursor: str | None = Query(None, max_length=2048),
    error: str | None = Query(None, max_length=500),
) -> Response:
    require(user, "quotes:approve")
    page = await service.list_pending_approvals(user.caller, cursor or None, 50)
    return render(
        request,
        "quotes_approvals.html",
        {
            "nav": "approvals",
            "pending": page["items"],
            "next_cursor": page.get("next_cursor"),
            "action_error": error,
            **_common(),
        },
    )


# -- the customer page's tab ---------------------------------------------------------------------------
async def customer_tab(request: Request, user: UserRecord, customer_id: str) -> dict[str, Any]:
    service = QuotesRpc(request.app.state.rpc, getattr(request.app.state.settings, "sales_service", None))
    page, reminders = await asyncio.gather(
        service.list_quotes(user.caller, {"customer_id": customer_id}, None, 100),
        service.list_my_reminders(user.caller, None, 50),
    )
    mine = [r for r in reminders["items"] if r.get("customer_id") == customer_id]
    return {"quotes": page["items"], "reminders": mine, **_common()}


ROUTERS: tuple[APIRouter, ...] = (router,)
