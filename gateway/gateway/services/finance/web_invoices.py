"""Pages of the finance service's invoices and write-offs: the invoice list, ``/invoices/new``, the
invoice page (edit a draft; issue, mark paid, void), the write-off request form of a receivable,
and ``/write-offs``, the approval queue of finance managers (with one request's page).

Forms post, then redirect (post/redirect/get); a refused action re-renders the page with the
service's field errors. Amounts are typed in 元 and sent in 分 (integer minor units); the
arithmetic is Decimal, never float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from finance import policy
from finance.contracts import invoices as c
from finance.contracts import write_offs as w
from kernel.errors import Conflict, PanoramaError, PermissionDenied, ValidationError
from kernel.money import format_money
from pydantic import ValidationError as PydanticValidationError

from gateway.api.deps import DirectoryDep, app_settings
from gateway.auth.directory import Directory
from gateway.auth.permissions import allowed, require
from gateway.services.finance.api_invoices import Finance, InvoiceCreate, InvoiceUpdate, WriteOffCreate
from gateway.services.finance.client import FinanceClient
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

INVOICE_BADGES = {
    "draft": "",
    "issued": "status-prospect",
    "paid": "status-active",
    "void": "task-status-cancelled",
}
WRITE_OFF_BADGES = {"requested": "status-prospect", "approved": "status-active", "rejected": "status-churned"}
INVOICE_ACTIONS = ("issue", "paid", "void")
_MONEY = re.compile(r"^\d{1,13}(\.\d{1,2})?$")
REFUSED = (PydanticValidationError, ValidationError, Conflict, PermissionDenied)


def money(amount_minor: Any, currency: str | None = "CNY") -> str:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        return "—"
    return format_money(amount_minor, currency or "CNY")


def to_minor(text: str) -> int | str:
    """元 as typed ("1234.5", "1,234.50") → 分; unparseable text is passed on for the validator."""
    cleaned = text.replace(",", "").replace("，", "").strip()
    if not _MONEY.match(cleaned):
        return text
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return text


def to_yuan(amount_minor: Any) -> str:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        return ""
    whole, cents = divmod(amount_minor, 100)
    return f"{whole}.{cents:02d}"


def tax_rates() -> list[str]:
    """The form's choices (the service checks the rate against its own setting)."""
    return list(c.DEFAULT_TAX_RATES)


def _status(exc: Exception) -> int:
    return exc.status if isinstance(exc, PanoramaError) else 422


async def _names(directory: Directory) -> dict[str, str]:
    names: dict[str, str] = await run_in_threadpool(directory.display_names)
    return names


def _common(nav: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "nav": nav,
        "names": names or {},
        "money": money,
        "to_yuan": to_yuan,
        "invoice_badges": INVOICE_BADGES,
        "write_off_badges": WRITE_OFF_BADGES,
        "invoice_status_labels": c.INVOICE_STATUS_LABELS,
        "write_off_status_labels": w.WRITE_OFF_STATUS_LABELS,
    }


def _invoice_url(invoice_id: str) -> str:
    return f"/invoices/{quote(invoice_id, safe='')}"


def _write_off_url(write_off_id: str) -> str:
    return f"/write-offs/{quote(write_off_id, safe='')}"


def _version(values: dict[str, str]) -> int | None:
    return int(values["version"]) if values.get("version", "").isdigit() else None


# -- the invoice list --------------------------------------------------------------------------------
@router.get("/invoices")
async def invoice_list(
    request: Request,
    user: WebUser,
    finance: Finance,
    status: str | None = Query(None, pattern=f"^({'|'.join(c.INVOICE_STATUSES)})?$"),
    customer_id: str | None = Query(None, max_length=64),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "invoices:read")
    filters = {k: v for k, v in {"status": status, "customer_id": customer_id}.items() if v}
    page = await finance.list_invoices(user.caller, filters, cursor or None, 50)
    next_cursor = page.get("next_cursor")
    return render(
        request,
        "invoices_list.html",
        {
            **_common("invoices"),
            "invoices": page["items"],
            "status": status or "",
            "customer_id": customer_id or "",
            "statuses": c.INVOICE_STATUSES,
            "next_query": urlencode({**filters, "cursor": next_cursor}) if next_cursor else "",
        },
    )


# -- a new draft -----------------------------------------------------------------------------------
@router.get("/invoices/new")
async def invoice_new(
    request: Request,
    user: WebUser,
    customer_id: str = Query("", max_length=64),
    receivable_id: str = Query("", max_length=64),
    order_id: str = Query("", max_length=64),
) -> Response:
    require(user, "invoices:write")
    values = {
        "customer_id": customer_id,
        "receivable_id": receivable_id,
        "order_id": order_id,
        "tax_rate": "0.13",
    }
    return render(request, "invoices_new.html", _new_context(values, []))


def _new_context(values: dict[str, str], errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {**_common("invoices"), "values": values, "errors": errors, "tax_rates": tax_rates()}


def invoice_body(values: dict[str, str]) -> dict[str, Any]:
    """The new-invoice form as the API's body (the amount 元 → 分; blanks left out)."""
    body: dict[str, Any] = {"customer_id": values.get("customer_id", "").strip()}
    for key in ("order_id", "receivable_id", "title", "tax_id"):
        if optional(values, key):
            body[key] = optional(values, key)
    if optional(values, "amount"):
        body["amount_minor"] = to_minor(values["amount"])
    body["tax_rate"] = values.get("tax_rate", "")
    return body


@router.post("/invoices")
async def invoice_create(request: Request, user: WebUser, finance: Finance) -> Response:
    require(user, "invoices:write")
    values = await read_form(request)
    try:
        data = InvoiceCreate.model_validate(invoice_body(values)).model_dump(mode="json", exclude_none=True)
        record = await finance.create_invoice(user.caller, data)
    except REFUSED as exc:
        return render(
            request, "invoices_new.html", _new_context(values, form_errors(exc)), status_code=_status(exc)
        )
    return RedirectResponse(_invoice_url(record["id"]), status_code=303)


# -- the invoice page --------------------------------------------------------------------------------
async def _invoice_context(
    user: Any, finance: FinanceClient, directory: Directory, invoice_id: str
) -> dict[str, Any]:
    invoice = await finance.get_invoice(user.caller, invoice_id)
    writer = allowed(user, "invoices:write") and policy.can_write(user.caller)
    status = invoice["status"]
    return {
        **_common("invoices", await _names(directory)),
        "invoice": invoice,
        "may": {
            "edit": writer and status == "draft",
            "issue": writer and status == "draft",
            "paid": writer and status == "issued",
            "void": writer and status in ("draft", "issued"),
        },
        "tax_rates": tax_rates(),
        "errors": [],
        "values": {
            "title": invoice.get("title") or "",
            "tax_id": invoice.get("tax_id") or "",
            "amount": to_yuan(invoice.get("amount_minor")),
            "tax_rate": invoice.get("tax_rate") or "",
        },
    }


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request, invoice_id: str, user: WebUser, finance: Finance, directory: DirectoryDep
) -> Response:
    require(user, "invoices:read")
    return render(
        request, "invoices_detail.html", await _invoice_context(user, finance, directory, invoice_id[:64])
    )


@router.post("/invoices/{invoice_id}/edit")
async def invoice_edit(
    request: Request, invoice_id: str, user: WebUser, finance: Finance, directory: DirectoryDep
) -> Response:
    require(user, "invoices:write")
    values = await read_form(request)
    invoice_id = invoice_id[:64]
    changes: dict[str, Any] = {
        "title": values.get("title", "").strip(),
        "tax_id": values.get("tax_id", "").strip() or None,
        "amount_minor": to_minor(values.get("amount", "")),
        "tax_rate": values.get("tax_rate", ""),
    }
    try:
        data = InvoiceUpdate.model_validate(changes).model_dump(mode="json", exclude_unset=True)
        await finance.update_invoice(user.caller, invoice_id, data, _version(values))
    except REFUSED as exc:
        context = await _invoice_context(user, finance, directory, invoice_id)
        context["errors"] = form_errors(exc)
        context["values"] = values
        return render(request, "invoices_detail.html", context, status_code=_status(exc))
    return RedirectResponse(_invoice_url(invoice_id), status_code=303)


@router.post("/invoices/{invoice_id}/{action}")
async def invoice_action(
    request: Request, invoice_id: str, action: str, user: WebUser, finance: Finance, directory: DirectoryDep
) -> Response:
    if action not in INVOICE_ACTIONS:
        return Response(status_code=404)
    require(user, "invoices:write")
    values = await read_form(request)
    invoice_id = invoice_id[:64]
    version = _version(values)
    try:
        if action == "issue":
            await finance.issue_invoice(user.caller, invoice_id, version)
        elif action == "paid":
            await finance.mark_invoice_paid(user.caller, invoice_id, version)
        else:
            reason = (values.get("reason") or "")[: c.REASON_MAX]
            await finance.void_invoice(user.caller, invoice_id, reason, version)
    except REFUSED as exc:
        context = await _invoice_context(user, finance, directory, invoice_id)
        context["errors"] = form_errors(exc)
        return render(request, "invoices_detail.html", context, status_code=_status(exc))
    return RedirectResponse(_invoice_url(invoice_id), status_code=303)


# -- a write-off request on a receivable ----------------------------------------------------------------
@router.get("/receivables/{receivable_id}/write-off")
async def write_off_new(request: Request, receivable_id: str, user: WebUser) -> Response:
    require(user, "write_offs:write")
    context = {**_common("write-offs"), "receivable_id": receivable_id[:64], "values": {}, "errors": []}
    return render(request, "invoices_write_off_new.html", context)


@router.post("/receivables/{receivable_id}/write-off")
async def write_off_request(
    request: Request, receivable_id: str, user: WebUser, finance: Finance
) -> Response:
    require(user, "write_offs:write")
    values = await read_form(request)
    receivable_id = receivable_id[:64]
    body: dict[str, Any] = {"reason": values.get("reason", "")}
    if optional(values, "amount"):
        body["amount_minor"] = to_minor(values["amount"])
    try:
        data = WriteOffCreate.model_validate(body).model_dump(mode="json", exclude_none=True)
        record = await finance.request_write_off(user.caller, receivable_id, data)
    except REFUSED as exc:
        context = {
            **_common("write-offs"),
            "receivable_id": receivable_id,
            "values": values,
            "errors": form_errors(exc),
        }
        return render(request, "invoices_write_off_new.html", context, status_code=_status(exc))
    return RedirectResponse(_write_off_url(record["id"]), status_code=303)


# -- the approval queue ----------------------------------------------------------------------------
def _may_decide(user: Any, write_off: dict[str, Any]) -> bool:
    """Which buttons to show; the service decides (same rule, finance.policy)."""
    return (
        write_off.get("status") == "requested"
        and allowed(user, "write_offs:approve")
        and policy.can_approve_write_off(user.caller, write_off.get("requested_by"))
    )


@router.get("/write-offs")
async def write_off_queue(
    request: Request,
    user: WebUser,
    finance: Finance,
    directory: DirectoryDep,
    status: str | None = Query("requested", pattern=f"^({'|'.join(w.WRITE_OFF_STATUSES)})?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "write_offs:read")
    filters = {"status": status} if status else {}
    page = await finance.list_write_offs(user.caller, filters, cursor or None, 50)
    next_cursor = page.get("next_cursor")
    items = page["items"]
    return render(
        request,
        "invoices_write_offs.html",
        {
            **_common("write-offs", await _names(directory)),
            "write_offs": items,
            "decidable": {item["id"] for item in items if _may_decide(user, item)},
            "status": status or "",
            "statuses": w.WRITE_OFF_STATUSES,
            "next_query": urlencode({"status": status or "", "cursor": next_cursor}) if next_cursor else "",
            "errors": [],
        },
    )


async def _write_off_context(
    user: Any, finance: FinanceClient, directory: Directory, write_off_id: str
) -> dict[str, Any]:
    write_off = await finance.get_write_off(user.caller, write_off_id)
    return {
        **_common("write-offs", await _names(directory)),
        "write_off": write_off,
        "may_decide": _may_decide(user, write_off),
        "errors": [],
    }


@router.get("/write-offs/{write_off_id}")
async def write_off_page(
    request: Request, write_off_id: str, user: WebUser, finance: Finance, directory: DirectoryDep
) -> Response:
    require(user, "write_offs:read")
    context = await _write_off_context(user, finance, directory, write_off_id[:64])
    return render(request, "invoices_write_off.html", context)


@router.post("/write-offs/{write_off_id}/{decision}")
async def write_off_decide(
    request: Request,
    write_off_id: str,
    decision: str,
    user: WebUser,
    finance: Finance,
    directory: DirectoryDep,
) -> Response:
    if decision not in ("approve", "reject"):
        return Response(status_code=404)
    require(user, "write_offs:approve")
    values = await read_form(request)
    write_off_id = write_off_id[:64]
    note = (optional(values, "note") or "")[: w.REASON_MAX] or None
    try:
        if decision == "approve":
            await finance.approve_write_off(user.caller, write_off_id, note)
        else:
            await finance.reject_write_off(user.caller, write_off_id, note)
    except REFUSED as exc:
        context = await _write_off_context(user, finance, directory, write_off_id)
        context["errors"] = form_errors(exc)
        return render(request, "invoices_write_off.html", context, status_code=_status(exc))
    back = values.get("back", "")
    return RedirectResponse(
        "/write-offs" if back == "queue" else _write_off_url(write_off_id), status_code=303
    )


ROUTERS: tuple[APIRouter, ...] = (router,)


# -- the customer page's tab -------------------------------------------------------------------------
async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """The customer's newest invoices (``CustomerTab`` "invoices")."""
    finance = FinanceClient(request.app.state.rpc, getattr(app_settings(request), "finance_service", None))
    page = await finance.list_invoices(user.caller, {"customer_id": customer_id}, None, 50)
    return {
        "money": money,
        "invoice_badges": INVOICE_BADGES,
        "invoice_status_labels": c.INVOICE_STATUS_LABELS,
        "customer_invoices": page["items"],
        "customer_invoices_more": bool(page.get("next_cursor")),
        "invoice_customer_id": customer_id,
    }
