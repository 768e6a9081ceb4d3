"""Pages of the opportunities area: the board by stage (buttons and drag-and-drop move a card;
the service enforces what a move needs and the page offers to fill it in), the opportunity page
(edit form, stage history), the new-opportunity form, and the customer page's 商机 tab.

Forms work without JavaScript: a successful post redirects back (post/redirect/get); a refused
one re-renders the page with the errors next to the card or form it concerns (422/409).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, FieldErrors, PanoramaError, ValidationError
from sales.contracts import opportunities as c

from gateway.api.deps import DirectoryDep
from gateway.auth.directory import Directory
from gateway.auth.permissions import allowed, require
from gateway.auth.records import UserRecord
from gateway.services import CustomerTab
from gateway.services.customers.client import CustomersClient
from gateway.services.sales.api_opportunities import Sales, get_sales
from gateway.services.sales.client import SalesClient
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.routes_auth import safe_next
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
get_customers = CustomersClient.dependency()
BOARD = "/opportunities"
OPEN_PAGE = 100  # cards per open column
CLOSED_PAGE = 20  # the latest won / lost
ADVANCE_FIELDS = {"expected_close_date", "amount_minor"}
# The service names fields by their codes; the pages show them by name.
FIELD_LABELS = {
    "customer_id": "客户 Customer",
    "title": "标题 Title",
    "amount_minor": "金额 Amount",
    "currency": "币种 Currency",
    "expected_close_date": "预计成交日 Expected close",
    "notes": "备注 Notes",
    "owner_id": "负责人 Owner",
    "stage": "阶段 Stage",
    "lost_reason": "输单原因 Lost reason",
    "lost_note": "输单说明 Lost note",
    "version": "版本 Version",
}


def labelled(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "field": FIELD_LABELS.get(e.get("field") or "", e.get("field") or "")} for e in errors]


# -- money in the UI: integer minor units in, "1,234.50" out ---------------------------------------
def money(amount_minor: Any) -> str:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        return "—"
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def amount_input(amount_minor: Any) -> str:
    """The amount as the form shows it (yuan, no thousands separators)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        return ""
    whole, cents = divmod(amount_minor, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)


def parse_amount(errors: FieldErrors, value: str | None) -> int | None:
    """``"1,234.5"`` yuan → 123450 分; blank → None; anything else names ``amount_minor``."""
    if value is None:
        return None
    text = value.replace(",", "").replace("，", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        errors.add(
            "amount_minor", "请输入金额（元，最多两位小数）enter an amount in yuan, at most 2 decimals"
        )
        return None
    return int(amount * 100)


# -- shared context ------------------------------------------------------------------------------
async def _names(directory: Directory) -> dict[str, str]:
    return await run_in_threadpool(directory.display_names)


def _base(nav: str = "opportunities") -> dict[str, Any]:
    return {
        "nav": nav,
        "money": money,
        "amount_input": amount_input,
        "stage_labels": c.STAGE_LABELS,
        "stages": c.STAGES,
        "open_stages": c.OPEN_STAGES,
    }


def _neighbours(stage: str) -> dict[str, str | None]:
    """The stage before and after ``stage`` in the funnel (None at the ends or when closed)."""
    if stage not in c.OPEN_STAGES:
        return {"back": None, "forward": None}
    i = c.OPEN_STAGES.index(stage)
    return {
        "back": c.OPEN_STAGES[i - 1] if i > 0 else None,
        "forward": c.OPEN_STAGES[i + 1] if i + 1 < len(c.OPEN_STAGES) else None,
    }


def _url(opportunity_id: str) -> str:
    return f"/opportunities/{quote(opportunity_id, safe='')}"


async def _lost_reasons(sales: SalesClient, user: UserRecord) -> list[dict[str, Any]]:
    page = await sales.list_lost_reasons(user.caller, False)
    return list(page["items"])


# -- the board --------------------------------------------------------------------------------------
async def board_context(
    user: UserRecord,
    sales: SalesClient,
    directory: Directory,
    *,
    mine: bool = False,
    customer_id: str | None = None,
) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if mine:
        filters["owner_id"] = user.id
    if customer_id:
        filters["customer_id"] = customer_id
    pages: list[Any] = await asyncio.gather(
        *(
            sales.list_opportunities(
                user.caller, {**filters, "stage": s}, None, OPEN_PAGE if s in c.OPEN_STAGES else CLOSED_PAGE
            )
            for s in c.STAGES
        ),
        _lost_reasons(sales, user),
    )
    columns = []
    for stage, page in zip(c.STAGES, pages[:-1], strict=True):
        items = page["items"]
        columns.append(
            {
                "stage": stage,
                "label": c.STAGE_LABELS[stage],
                "items": [{**o, **_neighbours(o["stage"])} for o in items],
                "total_minor": sum(o.get("amount_minor") or 0 for o in items),
                "more": bool(page.get("next_cursor")),
            }
        )
    query = {k: v for k, v in (("owner", "me" if mine else None), ("customer_id", customer_id)) if v}
    return {
        **_base(),
        "columns": columns,
        "lost_reasons": pages[-1],
        "reason_labels": {r["code"]: r["label"] for r in pages[-1]},
        "names": await _names(directory),
        "mine": mine,
        "customer_id": customer_id,
        "board_url": BOARD + (f"?{urlencode(query)}" if query else ""),
        "move_error": None,
    }


@router.get("/opportunities")
async def board(
    request: Request,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
    owner: str | None = Query(None, pattern="^(me)?$"),
    customer_id: str | None = Query(None, max_length=64),
) -> Response:
    require(user, "opportunities:read")
    context = await board_context(user, sales, directory, mine=owner == "me", customer_id=customer_id or None)
    return render(request, "opportunities_board.html", context)


@router.post("/opportunities/{opportunity_id}/stage")
async def move(
    request: Request,
    opportunity_id: str,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
) -> Response:
    """A stage move from the board or the opportunity page. It may carry the fields an advance
    needs (close date, amount), saved first; the service decides, and its errors come back next
    to the card with a form to fill in what is missing."""
    require(user, "opportunities:write")
    values = await read_form(request)
    opportunity_id = opportunity_id[:64]
    back = safe_next(values.get("next") or BOARD)
    target = values.get("stage", "")[:20]
    version = values.get("version", "")
    expected = int(version) if version.isdigit() else None
    errors: list[dict[str, Any]] = []
    try:
        fill = FieldErrors()
        changes: dict[str, Any] = {}
        if optional(values, "expected_close_date"):
            changes["expected_close_date"] = optional(values, "expected_close_date")
        amount = parse_amount(fill, optional(values, "amount"))
        if amount is not None:
            changes["amount_minor"] = amount
        fill.raise_if_any()
        if changes:
            record = await sales.update_opportunity(user.caller, opportunity_id, changes, expected)
            expected = record["version"]
        await sales.change_stage(
            user.caller,
            opportunity_id,
            target,
            optional(values, "lost_reason"),
            optional(values, "lost_note"),
            expected,
        )
    except (ValidationError, Conflict) as exc:
        errors = form_errors(exc)
        status = 409 if isinstance(exc, Conflict) else 422
    if not errors:
        return RedirectResponse(back, status_code=303)
    move_error = {"id": opportunity_id, "target": target, "errors": labelled(errors), "values": values}
    if back.startswith(_url(opportunity_id)):
        context = await detail_context(user, sales, directory, opportunity_id)
    else:
        query = parse_qs(urlsplit(back).query)
        context = await board_context(
            user,
            sales,
            directory,
            mine=query.get("owner") == ["me"],
            customer_id=(query.get("customer_id") or [""])[0][:64] or None,
        )
    context["move_error"] = move_error
    context["move_needs"] = sorted(ADVANCE_FIELDS & {e["field"] for e in errors})
    template = "opportunity_detail.html" if "opportunity" in context else "opportunities_board.html"
    return render(request, template, context, status_code=status)


# -- one opportunity ----------------------------------------------------------------------------------
async def detail_context(
    user: UserRecord, sales: SalesClient, directory: Directory, opportunity_id: str
) -> dict[str, Any]:
    opportunity, reasons = await asyncio.gather(
        sales.get_opportunity(user.caller, opportunity_id), _lost_reasons(sales, user)
    )
    return {
        **_base(),
        "opportunity": {**opportunity, **_neighbours(opportunity["stage"])},
        "lost_reasons": reasons,
        "reason_labels": {r["code"]: r["label"] for r in reasons},
        "names": await _names(directory),
        "values": _form_values(opportunity),
        "errors": [],
        "stale": False,
        "move_error": None,
        "move_needs": [],
    }


def _form_values(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": o.get("title") or "",
        "amount": amount_input(o.get("amount_minor")),
        "currency": o.get("currency") or "CNY",
        "expected_close_date": o.get("expected_close_date") or "",
        "notes": o.get("notes") or "",
    }


@router.get("/opportunities/new")
async def new_form(
    request: Request,
    user: WebUser,
    customer_id: str | None = Query(None, max_length=64),
) -> Response:
    require(user, "opportunities:write")
    context = await _new_context(request, user, {"customer_id": customer_id or ""}, [])
    return render(request, "opportunity_form.html", context)


async def _new_context(
    request: Request, user: UserRecord, values: dict[str, Any], errors: list[dict[str, Any]]
) -> dict[str, Any]:
    customers = await get_customers(request.app.state.rpc, request.app.state.settings)
    chosen = values.get("customer_id") or ""
    choices: list[dict[str, Any]] = []
    customer_name = None
    if chosen:
        try:
            customer_name = (await customers.get_customer(user.caller, chosen))["name"]
        except PanoramaError:
            chosen = ""
    if not chosen:
        # The customers one sells on: a salesperson's own, a manager's team's (what they see).
        mine_only = not user.has_any({"admin", "manager"})
        page = await customers.list_customers(
            user.caller, {"owner_id": user.id} if mine_only else {}, None, 200
        )
        choices = page["items"]
    return {
        **_base(),
        "values": {"currency": "CNY", **values, "customer_id": chosen},
        "customer_name": customer_name,
        "customer_choices": choices,
        "errors": errors,
    }


@router.post("/opportunities")
async def create(request: Request, user: WebUser, sales: Sales) -> Response:
    require(user, "opportunities:write")
    values = await read_form(request)
    fill = FieldErrors()
    data: dict[str, Any] = {
        "customer_id": values.get("customer_id", "").strip()[:64],
        "title": values.get("title", "").strip(),
        "currency": (optional(values, "currency") or "CNY").upper(),
        "expected_close_date": optional(values, "expected_close_date"),
        "notes": optional(values, "notes"),
    }
    if not data["customer_id"]:
        fill.add("customer_id", "请选择客户 choose a customer")
    amount = parse_amount(fill, optional(values, "amount"))
    if amount is not None:
        data["amount_minor"] = amount
    try:
        fill.raise_if_any()
        record = await sales.create_opportunity(user.caller, {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        context = await _new_context(request, user, values, labelled(form_errors(exc)))
        return render(request, "opportunity_form.html", context, status_code=422)
    return RedirectResponse(_url(record["id"]), status_code=303)


# -- the funnel's settings: stage probabilities and lost reasons (admins change them) -------------
async def _settings_context(user: UserRecord, sales: SalesClient) -> dict[str, Any]:
    stages, reasons = await asyncio.gather(
        sales.get_stage_settings(user.caller), sales.list_lost_reasons(user.caller, True)
    )
    return {
        **_base(),
        "stage_settings": stages,
        "all_reasons": reasons["items"],
        "is_admin": "admin" in user.roles,
        "errors": [],
        "values": {},
    }


@router.get("/opportunities/settings")
async def settings_page(request: Request, user: WebUser, sales: Sales) -> Response:
    require(user, "opportunities:read")
    return render(request, "opportunities_settings.html", await _settings_context(user, sales))


async def _settings_post(request: Request, user: UserRecord, sales: SalesClient, call: Any) -> Response:
    try:
        await call
    except ValidationError as exc:
        context = await _settings_context(user, sales)
        context["errors"] = form_errors(exc)
        return render(request, "opportunities_settings.html", context, status_code=422)
    except Conflict as exc:
        context = await _settings_context(user, sales)
        context["errors"] = form_errors(exc)
        return render(request, "opportunities_settings.html", context, status_code=409)
    return RedirectResponse("/opportunities/settings", status_code=303)


@router.post("/opportunities/settings/probabilities")
async def save_probabilities(request: Request, user: WebUser, sales: Sales) -> Response:
    require(user, "opportunities:write")
    values = await read_form(request)
    wanted: dict[str, Any] = {}
    for stage in c.OPEN_STAGES:
        raw = optional(values, f"prob_{stage}")
        if raw is not None:
            wanted[stage] = int(raw) if raw.isdigit() else raw  # the service names a bad one
    return await _settings_post(request, user, sales, sales.set_stage_probabilities(user.caller, wanted))


@router.post("/opportunities/settings/lost-reasons")
async def add_reason(request: Request, user: WebUser, sales: Sales) -> Response:
    require(user, "opportunities:write")
    values = await read_form(request)
    data = {"code": values.get("code", "").strip()[:40], "label": values.get("label", "").strip()[:100]}
    return await _settings_post(request, user, sales, sales.add_lost_reason(user.caller, data))


@router.post("/opportunities/settings/lost-reasons/{code}")
async def toggle_reason(request: Request, code: str, user: WebUser, sales: Sales) -> Response:
    require(user, "opportunities:write")
    values = await read_form(request)
    active = values.get("active") == "1"
    return await _settings_post(
        request, user, sales, sales.update_lost_reason(user.caller, code[:40], {"active": active})
    )


@router.get("/opportunities/{opportunity_id}")
async def detail(
    request: Request,
    opportunity_id: str,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
) -> Response:
    require(user, "opportunities:read")
    context = await detail_context(user, sales, directory, opportunity_id[:64])
    return render(request, "opportunity_detail.html", context)


@router.post("/opportunities/{opportunity_id}/edit")
async def edit(
    request: Request,
    opportunity_id: str,
    user: WebUser,
    sales: Sales,
    directory: DirectoryDep,
) -> Response:
    require(user, "opportunities:write")
    values = await read_form(request)
    opportunity_id = opportunity_id[:64]
    version = values.get("version", "")
    expected = int(version) if version.isdigit() else None
    fill = FieldErrors()
    changes: dict[str, Any] = {
        "title": values.get("title", "").strip(),
        "currency": (optional(values, "currency") or "CNY").upper(),
        "expected_close_date": optional(values, "expected_close_date"),  # blank clears it
        "notes": optional(values, "notes"),
    }
    amount = parse_amount(fill, optional(values, "amount"))
    changes["amount_minor"] = 0 if amount is None else amount
    try:
        fill.raise_if_any()
        await sales.update_opportunity(user.caller, opportunity_id, changes, expected)
    except (ValidationError, Conflict) as exc:
        context = await detail_context(user, sales, directory, opportunity_id)
        context["values"] = {**context["values"], **values}
        if isinstance(exc, Conflict):
            # Someone saved in between: show their version; saving again is a deliberate overwrite.
            context["stale"] = True
            return render(request, "opportunity_detail.html", context, status_code=409)
        context["errors"] = labelled(form_errors(exc))
        return render(request, "opportunity_detail.html", context, status_code=422)
    return RedirectResponse(_url(opportunity_id), status_code=303)


# -- the customer page's 商机 tab ----------------------------------------------------------------------
async def load_customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    sales = await get_sales(request.app.state.rpc, request.app.state.settings)
    page = await sales.list_opportunities(user.caller, {"customer_id": customer_id}, None, 100)
    return {
        **_base("customers"),
        "opportunities": page["items"],
        "opportunities_more": bool(page.get("next_cursor")),
        "may_create_opportunity": allowed(user, "opportunities:write"),
    }


CUSTOMER_TAB = CustomerTab(
    key="opportunities",
    label="商机 Opportunities",
    capability="opportunities:read",
    template="opportunities_tab.html",
    load=load_customer_tab,
)

ROUTERS: tuple[APIRouter, ...] = (router,)
