"""Pages of the sales service's deals area: the contract list and page (approve, reject, sign,
archive, cancel, place the order with its payment plan), the order page, ``/contracts/new`` (the
quote page links there) and the customer page's "contracts" tab.

Forms post, then redirect (post/redirect/get); a refused action re-renders the page with the
service's field errors. Amounts are typed in 元 and sent in 分 (integer minor units).
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, PanoramaError, ValidationError
from pydantic import ValidationError as PydanticValidationError
from sales import policy
from sales.contracts import deals as c

from gateway.api.deps import DirectoryDep, app_settings
from gateway.auth.directory import Directory
from gateway.auth.permissions import allowed, require
from gateway.services.sales.api_deals import ContractCreate, OrderCreate, Sales
from gateway.services.sales.client import SalesClient
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

# contract status -> badge class of app.css
BADGES = {
    "pending_review": "status-prospect",
    "signed": "status-active",
    "archived": "",
    "rejected": "status-churned",
    "cancelled": "task-status-cancelled",
}
ACTIONS = ("approve", "reject", "sign", "archive", "cancel")
_ROW = re.compile(r"^instalments\.(\d{1,3})\.(due_date|amount)$")
_MONEY = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


def money(amount_minor: Any, currency: str | None = "CNY") -> str:
    """分 → "¥1,234.56" (two decimals: the currencies sold in are all centesimal)."""
    if not isinstance(amount_minor, int):
        return "—"
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    symbol = "¥" if (currency or "CNY") == "CNY" else f"{currency} "
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


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
    if not isinstance(amount_minor, int):
        return ""
    whole, cents = divmod(amount_minor, 100)
    return f"{whole}.{cents:02d}"


def _contract_url(contract_id: str) -> str:
    return f"/contracts/{quote(contract_id, safe='')}"


async def _names(directory: Directory) -> dict[str, str]:
    names: dict[str, str] = await run_in_threadpool(directory.display_names)
    return names


def _common(names: dict[str, str]) -> dict[str, Any]:
    return {
        "nav": "contracts",
        "names": names,
        "money": money,
        "to_yuan": to_yuan,
        "badges": BADGES,
        "contract_status_labels": c.CONTRACT_STATUS_LABELS,
        "order_status_labels": c.ORDER_STATUS_LABELS,
    }


# -- the contract list -----------------------------------------------------------------------------
@router.get("/contracts")
async def contract_list(
    request: Request,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
    status: str | None = Query(None, pattern=f"^({'|'.join(c.CONTRACT_STATUSES)})?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "contracts:read")
    filters = {"status": status} if status else {}
    page = await sales.list_contracts(user.caller, filters, cursor or None, 50)
    next_cursor = page.get("next_cursor")
    query = {"status": status} if status else {}
    return render(
        request,
        "deals_contracts.html",
        {
            **_common(await _names(directory)),
            "contracts": page["items"],
            "status": status or "",
            "statuses": c.CONTRACT_STATUSES,
            "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
        },
    )


# -- a new contract from a quote version (linked from the quote page) -----------------------------
@router.get("/contracts/new")
async def contract_new(
    request: Request,
    user: WebUser,
    quote_id: str = Query("", max_length=64),
    version: str = Query("", max_length=9),
) -> Response:
    require(user, "contracts:write")
    values = {"quote_id": quote_id, "version": version}
    return render(request, "deals_contract_new.html", {"nav": "contracts", "values": values, "errors": []})


@router.post("/contracts")
async def contract_create(request: Request, user: WebUser, sales: Sales) -> Response:
    require(user, "contracts:write")
    values = await read_form(request)
    raw: dict[str, Any] = {
        "quote_id": values.get("quote_id", "").strip(),
        "version": int(values["version"])
        if values.get("version", "").strip().isdigit()
        else values.get("version"),
    }
    if values.get("special_price") == "1":
        raw["special_price"] = True
    context: dict[str, Any] = {"nav": "contracts", "values": values, "errors": []}
    try:
        body = ContractCreate.model_validate(raw)
        extra = {"special_price": True} if body.special_price else None
        record = await sales.create_contract(user.caller, body.quote_id, body.version, extra)
    except (PydanticValidationError, ValidationError, Conflict) as exc:
        context["errors"] = form_errors(exc)
        status = 409 if isinstance(exc, Conflict) else 422
        return render(request, "deals_contract_new.html", context, status_code=status)
    return RedirectResponse(_contract_url(record["id"]), status_code=303)


# -- the contract page -----------------------------------------------------------------------------
async def _contract_context(
    user: Any, sales: SalesClient, directory: Directory, contract_id: str
) -> dict[str, Any]:
    contract = await sales.get_contract(user.caller, contract_id)
    order = None
    if contract.get("order_id") and allowed(user, "orders:read"):
        order = await sales.get_order(user.caller, contract["order_id"])
    # The service decides; these only choose which buttons to show (same rules, sales.policy).
    approver = allowed(user, "contracts:approve") and policy.can_approve(user.caller, contract)
    writer = allowed(user, "contracts:write") and policy.can_write(user.caller, contract)
    status = contract["status"]
    pending = status == "pending_review"
    return {
        **_common(await _names(directory)),
        "contract": contract,
        "order": order,
        "may": {
            "approve": approver and pending and contract.get("approval_status") == "pending",
            "reject": approver and pending,
            "sign": writer and pending and contract.get("approval_status") != "pending",
            "archive": writer and status == "signed",
            "cancel": writer
            and status in ("pending_review", "signed")
            and not (order and order["status"] == "placed"),
            "order": writer
            and status == "signed"
            and not contract.get("order_id")
            and allowed(user, "orders:write"),
        },
        "errors": [],
        "order_values": {"rows": [{"due_date": "", "amount": to_yuan(contract.get("amount_minor"))}]},
    }


@router.get("/contracts/{contract_id}")
async def contract_page(
    request: Request, contract_id: str, user: WebUser, sales: Sales, directory: DirectoryDep
) -> Response:
    require(user, "contracts:read")
    context = await _contract_context(user, sales, directory, contract_id[:64])
    return render(request, "deals_contract.html", context)


def order_form(values: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The place-order form as the API's body (amounts 元 → 分), and its rows to show again."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        match = _ROW.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    shown = [rows[i] for i in sorted(rows) if rows[i].get("due_date") or rows[i].get("amount")]
    instalments = [
        {"due_date": row.get("due_date") or None, "amount_minor": to_minor(row.get("amount", ""))}
        for row in shown
    ]
    body: dict[str, Any] = {"instalments": instalments}
    for end in ("service_start", "service_end"):
        if optional(values, end):
            body[end] = optional(values, end)
    return body, shown


@router.post("/contracts/{contract_id}/order")
async def place_order(
    request: Request, contract_id: str, user: WebUser, sales: Sales, directory: DirectoryDep
) -> Response:
    require(user, "orders:write")
    values = await read_form(request)
    contract_id = contract_id[:64]
    body, rows = order_form(values)
    body["contract_id"] = contract_id
    try:
        data = OrderCreate.model_validate(body).model_dump(mode="json", exclude_none=True)
        order = await sales.place_order(user.caller, data)
    except (PydanticValidationError, ValidationError, Conflict) as exc:
        context = await _contract_context(user, sales, directory, contract_id)
        context["errors"] = form_errors(exc)
        context["order_values"] = {
            "service_start": values.get("service_start", ""),
            "service_end": values.get("service_end", ""),
            "rows": rows or context["order_values"]["rows"],
        }
        status = exc.status if isinstance(exc, PanoramaError) else 422
        return render(request, "deals_contract.html", context, status_code=status)
    return RedirectResponse(f"/orders/{quote(order['id'], safe='')}", status_code=303)


@router.post("/contracts/{contract_id}/{action}")
async def contract_action(
    request: Request,
    contract_id: str,
    action: str,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
) -> Response:
    if action not in ACTIONS:
        return Response(status_code=404)
    require(user, "contracts:approve" if action in ("approve", "reject") else "contracts:write")
    values = await read_form(request)
    contract_id = contract_id[:64]
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    note = (optional(values, "comment") or "")[: c.COMMENT_MAX] or None
    try:
        if action == "approve":
            await sales.approve_contract(user.caller, contract_id, note, version)
        elif action == "reject":
            await sales.reject_contract(user.caller, contract_id, note, version)
        elif action == "sign":
            await sales.sign_contract(user.caller, contract_id, version)
        elif action == "archive":
            await sales.archive_contract(user.caller, contract_id, version)
        else:
            await sales.cancel_contract(user.caller, contract_id, note, version)
    except (ValidationError, Conflict) as exc:
        context = await _contract_context(user, sales, directory, contract_id)
        context["errors"] = form_errors(exc)
        return render(request, "deals_contract.html", context, status_code=exc.status)
    return RedirectResponse(_contract_url(contract_id), status_code=303)


# -- the order page ----------------------------------------------------------------------------------
@router.get("/orders/{order_id}")
async def order_page(
    request: Request, order_id: str, user: WebUser, sales: Sales, directory: DirectoryDep
) -> Response:
    require(user, "orders:read")
    order = await sales.get_order(user.caller, order_id[:64])
    return render(request, "deals_order.html", _order_context(user, order, await _names(directory)))


def _order_context(user: Any, order: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    owner_like = policy.can_write(user.caller, order)
    return {
        **_common(names),
        "order": order,
        "may_cancel": allowed(user, "orders:write") and owner_like and order["status"] == "placed",
        "errors": [],
    }


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    request: Request, order_id: str, user: WebUser, sales: Sales, directory: DirectoryDep
) -> Response:
    require(user, "orders:write")
    values = await read_form(request)
    order_id = order_id[:64]
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    reason = (optional(values, "reason") or "")[: c.COMMENT_MAX] or None
    try:
        await sales.cancel_order(user.caller, order_id, reason, version)
    except (ValidationError, Conflict) as exc:
        order = await sales.get_order(user.caller, order_id)
        context = _order_context(user, order, await _names(directory))
        context["errors"] = form_errors(exc)
        return render(request, "deals_order.html", context, status_code=exc.status)
    return RedirectResponse(f"/orders/{quote(order_id, safe='')}", status_code=303)


# -- the customer page's tab -------------------------------------------------------------------------
async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """The customer's contracts and orders (``CustomerTab`` "contracts")."""
    sales = SalesClient(request.app.state.rpc, getattr(app_settings(request), "sales_service", None))
    wanted = {"contracts": sales.list_contracts(user.caller, {"customer_id": customer_id}, None, 100)}
    if allowed(user, "orders:read"):
        wanted["orders"] = sales.list_orders(user.caller, {"customer_id": customer_id}, None, 100)
    pages = dict(zip(wanted, await asyncio.gather(*wanted.values()), strict=True))
    return {
        "money": money,
        "badges": BADGES,
        "deal_contracts": pages["contracts"]["items"],
        "deal_orders": pages["orders"]["items"] if "orders" in pages else [],
        "deal_customer_id": customer_id,
    }


ROUTERS: tuple[APIRouter, ...] = (router,)
