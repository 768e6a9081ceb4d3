"""Pages of the finance service's payments area: the payment list, payment entry (choose the
customer, then allocate to their open receivables, oldest due first), the payment page with its
allocations, the allocation of remaining credit and the refund form.

Amounts are typed in 元 and sent in 分 through ``money_input.yuan_to_minor`` (Decimal, exact).
Forms post, then redirect (post/redirect/get); a refused form is shown again with the fields named.
The script only helps (prefill oldest first, live remaining credit); the service checks it all.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from finance.contracts import payments as c
from kernel.errors import Conflict, FieldErrors, NotFound, PanoramaError, ValidationError
from kernel.money import format_money

from gateway.api.deps import app_settings
from gateway.auth.permissions import allowed, require
from gateway.services.customers.api import Customers
from gateway.services.finance.api_payments import Finance
from gateway.services.finance.client import FinanceClient
from gateway.services.finance.money_input import minor_to_yuan, yuan_to_minor
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
RECEIVABLE_LABELS = {"open": "待收 Open", "partially_paid": "部分回款 Partly paid"}
SOURCE_LABELS = {"manual": "手工录入 Manual", "bank_import": "银行导入 Bank import"}
_ALLOCATION = re.compile(r"^alloc\.([A-Za-z0-9-]{1,64})$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ROW_ERROR = re.compile(r"^allocations\.(\d{1,3})\.")


def _today(user: Any) -> str:
    """The user's calendar day: the default date of a payment or refund they type in."""
    return datetime.now(ZoneInfo(user.timezone)).date().isoformat()


def _url(payment_id: str) -> str:
    return f"/payments/{quote(payment_id, safe='')}"


def _common() -> dict[str, Any]:
    return {
        "nav": "payments",
        "money": format_money,
        "to_yuan": minor_to_yuan,
        "source_labels": SOURCE_LABELS,
        "receivable_labels": RECEIVABLE_LABELS,
    }


def _amount(values: dict[str, str], key: str, field: str, errors: FieldErrors) -> int | None:
    text = values.get(key, "").strip()
    if not text:
        return None
    try:
        return yuan_to_minor(text)
    except ValueError as exc:
        errors.add(field, str(exc))
        return None


def read_allocations(values: dict[str, str], errors: FieldErrors) -> list[dict[str, Any]]:
    """``alloc.<receivable id>`` inputs in form order; blank and zero ones allocate nothing.
    ``allocations.<n>`` (ours or the service's) is the n-th receivable given an amount."""
    allocations: list[dict[str, Any]] = []
    for index, (key, receivable_id) in enumerate(_allocation_inputs(values)):
        amount = _amount(values, key, f"allocations.{index}.amount_minor", errors)
        if amount:
            allocations.append({"receivable_id": receivable_id, "amount_minor": amount})
    return allocations


def _allocation_inputs(values: dict[str, str]) -> list[tuple[str, str]]:
    """(input name, receivable id) of the allocation inputs holding a non-zero amount."""
    found = []
    for key, value in values.items():
        match = _ALLOCATION.match(key)
        if match and value.strip() and value.strip().strip("0.") != "":
            found.append((key, match.group(1)))
    return found


def row_errors(values: dict[str, str], errors: list[dict[str, Any]]) -> dict[str, str]:
    """Field errors about ``allocations.<n>…`` → the receivable row they are about."""
    inputs = _allocation_inputs(values)
    rows: dict[str, str] = {}
    for error in errors:
        match = _ROW_ERROR.match(str(error.get("field") or ""))
        if match and int(match.group(1)) < len(inputs):
            rows[inputs[int(match.group(1))][1]] = str(error.get("message") or "")
    return rows


# -- the list --------------------------------------------------------------------------------------
@router.get("/payments")
async def payment_list(
    request: Request,
    user: WebUser,
    finance: Finance,
    customer_id: str | None = Query(None, max_length=64),
    source: str | None = Query(None, pattern=f"^({'|'.join(c.PAYMENT_SOURCES)})?$"),
    received_after: str | None = Query(None, pattern=r"^(\d{4}-\d{2}-\d{2})?$"),
    received_before: str | None = Query(None, pattern=r"^(\d{4}-\d{2}-\d{2})?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "payments:read")
    query = {
        key: value
        for key, value in (
            ("customer_id", customer_id),
            ("source", source),
            ("received_after", received_after),
            ("received_before", received_before),
        )
        if value
    }
    page = await finance.list_payments(user.caller, query, cursor or None, 50)
    next_cursor = page.get("next_cursor")
    return render(
        request,
        "payments_list.html",
        {
            **_common(),
            "payments": page["items"],
            "filters": query,
            "sources": c.PAYMENT_SOURCES,
            "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
        },
    )


# -- payment entry -----------------------------------------------------------------------------------
async def _entry_context(
    user: Any, finance: FinanceClient, customers: Any, customer_id: str, currency: str, q: str
) -> dict[str, Any]:
    context: dict[str, Any] = {**_common(), "customer": None, "matches": [], "q": q, "currency": currency}
    if customer_id:
        try:
            customer, receivables, credit = await asyncio.gather(
                customers.get_customer(user.caller, customer_id),
                finance.open_receivables_for_payment(user.caller, customer_id, currency),
                finance.customer_credit(user.caller, customer_id),
            )
        except NotFound:
            context["errors"] = [{"field": "customer_id", "message": "no such customer"}]
            return context
        context.update(customer=customer, receivables=receivables, credit=credit)
    elif q:
        page = await customers.list_customers(user.caller, {"q": q}, None, 20)
        context["matches"] = page["items"]
    return context


@router.get("/payments/new")
async def payment_new(
    request: Request,
    user: WebUser,
    finance: Finance,
    customers: Customers,
    customer_id: str = Query("", max_length=64),
    currency: str = Query("CNY", pattern=r"^[A-Z]{3}$"),
    q: str = Query("", max_length=200),
) -> Response:
    require(user, "payments:write")
    context = await _entry_context(user, finance, customers, customer_id, currency, q.strip())
    context.setdefault("errors", [])
    context["values"] = {"received_on": _today(user), "payer": (context["customer"] or {}).get("name", "")}
    return render(request, "payments_new.html", context)


@router.post("/payments")
async def payment_create(request: Request, user: WebUser, finance: Finance, customers: Customers) -> Response:
    require(user, "payments:write")
    values = await read_form(request)
    errors = FieldErrors()
    currency = values.get("currency", "CNY")
    currency = currency if _CURRENCY.match(currency) else "CNY"
    amount = _amount(values, "amount", "amount_minor", errors)
    data: dict[str, Any] = {
        "customer_id": values.get("customer_id", "").strip(),
        "received_on": values.get("received_on", "").strip(),
        "amount_minor": amount,
        "currency": currency,
        "payer": optional(values, "payer"),
        "reference": optional(values, "reference"),
        "note": optional(values, "note"),
        "allocations": read_allocations(values, errors),
    }
    try:
        errors.raise_if_any()
        payment = await finance.record_payment(user.caller, {k: v for k, v in data.items() if v is not None})
    except (ValidationError, Conflict) as exc:
        context = await _entry_context(user, finance, customers, data["customer_id"], currency, "")
        context["errors"] = [*context.get("errors", []), *form_errors(exc)]
        context["row_errors"] = row_errors(values, context["errors"])
        context["values"] = values
        return render(request, "payments_new.html", context, status_code=exc.status)
    return RedirectResponse(_url(payment["id"]), status_code=303)


# -- the payment page --------------------------------------------------------------------------------
async def _payment_context(user: Any, finance: FinanceClient, payment_id: str) -> dict[str, Any]:
    payment = await finance.get_payment(user.caller, payment_id)
    writer = allowed(user, "payments:write")
    receivables: list[dict[str, Any]] = []
    if writer and payment["unallocated_minor"] > 0:
        receivables = await finance.open_receivables_for_payment(
            user.caller, payment["customer_id"], payment["currency"]
        )
    return {
        **_common(),
        "payment": payment,
        "receivables": receivables,
        "may_write": writer,
        "errors": [],
        "values": {"refunded_on": _today(user)},
    }


@router.get("/payments/{payment_id}")
async def payment_page(request: Request, payment_id: str, user: WebUser, finance: Finance) -> Response:
    require(user, "payments:read")
    return render(request, "payments_detail.html", await _payment_context(user, finance, payment_id))


@router.post("/payments/{payment_id}/allocations")
async def payment_allocate(request: Request, payment_id: str, user: WebUser, finance: Finance) -> Response:
    require(user, "payments:write")
    values = await read_form(request)
    errors = FieldErrors()
    allocations = read_allocations(values, errors)
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    try:
        errors.raise_if_any()
        await finance.allocate_payment(user.caller, payment_id, allocations, version)
    except (ValidationError, Conflict) as exc:
        return await _refused(request, user, finance, payment_id, exc, values)
    return RedirectResponse(_url(payment_id), status_code=303)


@router.post("/payments/{payment_id}/refund")
async def payment_refund(request: Request, payment_id: str, user: WebUser, finance: Finance) -> Response:
    require(user, "payments:write")
    values = await read_form(request)
    errors = FieldErrors()
    amount = _amount(values, "amount", "amount_minor", errors)
    data = {
        "payment_id": payment_id,
        "amount_minor": amount,
        "refunded_on": values.get("refunded_on", "").strip(),
        "reason": values.get("reason", "").strip(),
    }
    try:
        errors.raise_if_any()
        await finance.refund(user.caller, data)
    except (ValidationError, Conflict) as exc:
        return await _refused(request, user, finance, payment_id, exc, values)
    return RedirectResponse(_url(payment_id), status_code=303)


@router.post("/payments/{payment_id}/void")
async def payment_void(request: Request, payment_id: str, user: WebUser, finance: Finance) -> Response:
    require(user, "payments:write")
    values = await read_form(request)
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    try:
        await finance.void_payment(user.caller, payment_id, values.get("void_reason", "").strip(), version)
    except (ValidationError, Conflict) as exc:
        return await _refused(request, user, finance, payment_id, exc, values)
    return RedirectResponse(_url(payment_id), status_code=303)


async def _refused(
    request: Request,
    user: Any,
    finance: FinanceClient,
    payment_id: str,
    exc: PanoramaError,
    values: dict[str, str],
) -> Response:
    context = await _payment_context(user, finance, payment_id)
    context["errors"] = form_errors(exc)
    context["row_errors"] = row_errors(values, context["errors"])
    context["values"] = {**context["values"], **values}
    return render(request, "payments_detail.html", context, status_code=exc.status)


# -- the customer page's "payments" tab ----------------------------------------------------------------
async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """The customer's latest payments and their credit (``CustomerTab`` "payments")."""
    finance = FinanceClient(request.app.state.rpc, getattr(app_settings(request), "finance_service", None))
    page, credit = await asyncio.gather(
        finance.list_payments(user.caller, {"customer_id": customer_id}, None, 20),
        finance.customer_credit(user.caller, customer_id),
    )
    return {
        **_common(),
        "pay_payments": page["items"],
        "pay_more": bool(page.get("next_cursor")),
        "pay_credit": credit["credits"],
        "pay_customer_id": customer_id,
    }


ROUTERS: tuple[APIRouter, ...] = (router,)
