"""Pages of the bank-statement import: ``/payments/import`` (upload a statement, recent imports),
``/payments/imports/{id}`` (the per-row report) and ``/payments/review`` (the unmatched and
ambiguous lines: pick a candidate customer and receivable, name a customer, or ignore the line).

Forms post, then redirect (post/redirect/get); a refused action re-renders the page with the
service's field errors. These routes must be registered before any ``/payments/{id}`` page.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from finance.contracts import bank as c
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.money import format_money
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import UploadFile

from gateway.auth.permissions import require
from gateway.services.customers.api import Customers
from gateway.services.customers.client import CustomersClient
from gateway.services.finance.api_bank import BankLineIgnore, BankLineResolve, Finance
from gateway.services.finance.client import FinanceClient
from gateway.web.csrf import CSRF_FIELD, verify_csrf
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
CAPABILITY = "bank_import:write"
REVIEW_STATUSES = ("unmatched", "ambiguous")
REPORT_PAGE_ROWS = 2000  # a page of a 100k-line report would be tens of MB of HTML
# line status -> badge class of app.css
BADGES = {
    "matched": "status-active",
    "resolved": "status-active",
    "unmatched": "status-prospect",
    "ambiguous": "status-prospect",
    "duplicate": "",
    "ignored": "",
    "error": "status-churned",
}
LABELS = {
    "matched": "已匹配",
    "unmatched": "未匹配",
    "ambiguous": "待确认",
    "duplicate": "重复",
    "error": "错误",
    "resolved": "已处理",
    "ignored": "已忽略",
}


def money(amount_minor: Any, currency: str | None = "CNY") -> str:
    return format_money(amount_minor, currency or "CNY") if isinstance(amount_minor, int) else "—"


def _common() -> dict[str, Any]:
    return {"nav": "bank-import", "money": money, "badges": BADGES, "labels": LABELS}


# -- upload ------------------------------------------------------------------------------------------
async def _upload_context(finance: FinanceClient, user: Any) -> dict[str, Any]:
    recent = await finance.list_bank_imports(user.caller, None, 20)
    return {**_common(), "imports": recent["items"], "errors": [], "max_bytes": c.MAX_FILE_BYTES}


@router.get("/payments/import")
async def upload_page(request: Request, user: WebUser, finance: Finance) -> Response:
    require(user, CAPABILITY)
    return render(request, "bank_import.html", await _upload_context(finance, user))


@router.post("/payments/import")
async def upload(request: Request, user: WebUser, finance: Finance) -> Response:
    require(user, CAPABILITY)
    form = await request.form(max_files=1, max_fields=5)
    verify_csrf(request, form.get(CSRF_FIELD))
    upload = form.get("file")
    errors: list[dict[str, Any]] = []
    status = 422
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = [{"field": "file", "message": "choose a CSV or XLSX statement"}]
    else:
        content = await upload.read(c.MAX_FILE_BYTES + 1)
        if len(content) > c.MAX_FILE_BYTES:
            errors, status = [{"field": "file", "message": f"is larger than {c.MAX_FILE_BYTES} bytes"}], 413
        else:
            try:
                report = await finance.import_bank_statement(
                    user.caller, upload.filename[-255:], base64.b64encode(content).decode()
                )
            except ValidationError as exc:
                errors = form_errors(exc)
            else:
                target = f"/payments/imports/{quote(report['import_id'], safe='')}"
                if report.get("duplicate_file"):
                    target += "?duplicate=1"
                return RedirectResponse(target, status_code=303)
    context = await _upload_context(finance, user)
    context["errors"] = errors
    return render(request, "bank_import.html", context, status_code=status)


@router.get("/payments/imports/{import_id}")
async def report_page(
    request: Request,
    import_id: str,
    user: WebUser,
    finance: Finance,
    duplicate: str = Query("", max_length=1),
) -> Response:
    require(user, CAPABILITY)
    report = await finance.get_bank_import(user.caller, import_id[:64])
    return render(
        request,
        "bank_report.html",
        {**_common(), "report": report, "duplicate": duplicate == "1", "max_rows": REPORT_PAGE_ROWS},
    )


# -- review ------------------------------------------------------------------------------------------
async def _review_context(
    finance: FinanceClient, user: Any, status: str, import_id: str, cursor: str | None
) -> dict[str, Any]:
    filters = {"import_id": import_id} if import_id else {}
    wanted = (status,) if status else REVIEW_STATUSES
    pages = await asyncio.gather(
        *(finance.list_bank_lines(user.caller, {**filters, "status": s}, cursor, 100) for s in wanted)
    )
    items = sorted(
        (line for page in pages for line in page["items"]), key=lambda line: line["id"], reverse=True
    )
    next_cursor = pages[0].get("next_cursor") if len(pages) == 1 else None
    query = {k: v for k, v in {"status": status, "import_id": import_id}.items() if v}
    return {
        **_common(),
        "nav": "bank-import",  # one nav entry for the import and its review list
        "lines": items,
        "status": status,
        "import_id": import_id,
        "statuses": REVIEW_STATUSES,
        "errors": [],
        "failed_line": None,
        "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
    }


@router.get("/payments/review")
async def review_page(
    request: Request,
    user: WebUser,
    finance: Finance,
    status: str = Query("", pattern="^(unmatched|ambiguous)?$"),
    import_id: str = Query("", max_length=64),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, CAPABILITY)
    context = await _review_context(finance, user, status, import_id, cursor or None)
    return render(request, "bank_review.html", context)


async def customer_named(customers: CustomersClient, user: Any, text: str) -> str:
    """The manual resolve form names the customer as the user knows it: an id, or a name that
    finds exactly one customer."""
    page = await customers.list_customers(user.caller, {"q": text[:200]}, None, 5)
    found = page["items"]
    exact = [c for c in found if c.get("id") == text or c.get("name") == text]
    if len(exact) == 1:
        return str(exact[0]["id"])
    if len(found) == 1:
        return str(found[0]["id"])
    if not found:
        raise ValidationError.for_field("customer_id", f"no customer found for {text!r}")
    names = ", ".join(str(c.get("name")) for c in found)
    raise ValidationError.for_field(
        "customer_id", f"several customers match {text!r}: {names}; be more precise"
    )


def resolve_body(values: dict[str, str]) -> dict[str, Any]:
    """The resolve form: a customer, optionally one receivable and the amount for it (分)."""
    body: dict[str, Any] = {"customer_id": values.get("customer_id", "").strip()}
    receivable_id = optional(values, "receivable_id")
    if receivable_id:
        amount = values.get("amount_minor", "").strip()
        body["allocations"] = [
            {"receivable_id": receivable_id, "amount_minor": int(amount) if amount.isdigit() else amount}
        ]
    if optional(values, "note"):
        body["note"] = optional(values, "note")
    return body


@router.post("/payments/review/{line_id}/{action}")
async def review_action(
    request: Request, line_id: str, action: str, user: WebUser, finance: Finance, customers: Customers
) -> Response:
    if action not in ("resolve", "ignore"):
        return Response(status_code=404)
    require(user, CAPABILITY)
    values = await read_form(request)
    line_id = line_id[:64]
    try:
        if action == "resolve":
            if not values.get("customer_id", "").strip() and values.get("customer", "").strip():
                values["customer_id"] = await customer_named(customers, user, values["customer"].strip())
            body = BankLineResolve.model_validate(resolve_body(values))
            await finance.resolve_bank_line(
                user.caller, line_id, body.model_dump(mode="json", exclude_none=True)
            )
        else:
            ignore = BankLineIgnore.model_validate({"note": values.get("note", "").strip()})
            await finance.ignore_bank_line(user.caller, line_id, ignore.note)
    except (PydanticValidationError, ValidationError, Conflict, NotFound) as exc:
        context = await _review_context(
            finance, user, values.get("status", ""), values.get("import_id", "")[:64], None
        )
        context["errors"] = form_errors(exc)
        context["failed_line"] = line_id
        status = getattr(exc, "status", 422)
        return render(request, "bank_review.html", context, status_code=status)
    query = {k: v for k in ("status", "import_id") if (v := values.get(k, ""))}
    return RedirectResponse("/payments/review" + (f"?{urlencode(query)}" if query else ""), status_code=303)


ROUTERS: tuple[APIRouter, ...] = (router,)
