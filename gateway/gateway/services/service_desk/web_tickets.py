"""Pages of the service desk's tickets area: the queue (``/tickets``, most urgent first, live SLA
clocks), ``/tickets/new``, the ticket page (timeline, reply or internal note, the status moves the
ticket may make now, assignment) and the customer page's "tickets" tab (every earlier issue of the
customer, newest first).

Forms post, then redirect (post/redirect/get); a refused action re-renders the page with the
service's field errors. The clocks count down in ``service-desk-tickets.js`` from data attributes
(CSP: no inline script).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, NotFound, PanoramaError, PermissionDenied, ValidationError
from pydantic import ValidationError as PydanticValidationError
from service_desk.contracts import common
from service_desk.contracts import tickets as c

from gateway.api.deps import DirectoryDep, app_settings
from gateway.auth.directory import Directory
from gateway.auth.permissions import allowed, require
from gateway.services.customers.client import CustomersClient
from gateway.services.service_desk.api_tickets import Desk, TicketCreate
from gateway.services.service_desk.client import ServiceDeskClient
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_BADGES = {
    "new": "status-prospect",
    "in_progress": "status-active",
    "waiting_on_customer": "",
    "resolved": "status-active",
    "closed": "task-status-cancelled",
}
LABELS = {
    "status": {s: f"{c.STATUS_LABELS[s]} {s.replace('_', ' ')}" for s in common.TICKET_STATUSES},
    "channel": {"phone": "电话 Phone", "email": "邮件 Email", "web": "网页 Web", "wechat": "微信 WeChat"},
    "category": {
        "consultation": "咨询 Consultation",
        "fault": "故障 Fault",
        "complaint": "投诉 Complaint",
        "request": "需求 Request",
    },
    "sla": {
        "ok": "正常 On track",
        "near_breach": "即将超时 Near breach",
        "breached": "已超时 Breached",
        "paused": "暂停 Paused",
        "met": "达成 Met",
    },
}
# The button that moves a ticket to a status (from where it is now; "in_progress" from resolved
# is a reopen).
MOVES = {
    "in_progress": "开始处理 Start work",
    "waiting_on_customer": "等待客户 Wait on customer",
    "resolved": "已解决 Resolve",
    "closed": "关闭 Close",
}
VIEWS = ("all", "mine", "team")


def _ticket_url(ticket_id: str) -> str:
    return f"/tickets/{quote(ticket_id, safe='')}"


async def _names(directory: Directory) -> dict[str, str]:
    names: dict[str, str] = await run_in_threadpool(directory.display_names)
    return names


async def _support_users(directory: Directory) -> list[dict[str, str]]:
    users = await run_in_threadpool(directory.list_users)
    return sorted(
        (
            {"id": u.id, "name": u.display_name or u.username}
            for u in users
            if u.active and "support" in u.roles
        ),
        key=lambda u: u["name"],
    )


def _common(names: dict[str, str]) -> dict[str, Any]:
    return {"nav": "tickets", "names": names, "labels": LABELS, "badges": STATUS_BADGES}


# -- the queue ----------------------------------------------------------------------------------------
@router.get("/tickets")
async def ticket_queue(
    request: Request,
    user: WebUser,
    desk: Desk,
    directory: DirectoryDep,
    view: str = Query("all", pattern="^(all|mine|team)$"),
    priority: str | None = Query(None, pattern=f"^({'|'.join(common.PRIORITIES)})?$"),
    status: str | None = Query(None, pattern=f"^({'|'.join(c.OPEN_STATUSES)})?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "tickets:read")
    filters: dict[str, Any] = {}
    if view == "mine":
        filters["assignee"] = user.id
    elif view == "team" and user.team_id:
        filters["team_id"] = user.team_id
    if priority:
        filters["priority"] = priority
    if status:
        filters["status"] = status
    page = await desk.ticket_queue(user.caller, filters, cursor or None, 50)
    query = {k: v for k, v in {"view": view, "priority": priority, "status": status}.items() if v}
    next_cursor = page.get("next_cursor")
    return render(
        request,
        "tickets_queue.html",
        {
            **_common(await _names(directory)),
            "tickets": page["items"],
            "view": view,
            "views": VIEWS,
            "priority": priority or "",
            "status": status or "",
            "priorities": common.PRIORITIES,
            "statuses": c.OPEN_STATUSES,
            "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
        },
    )


# -- a new ticket ----------------------------------------------------------------------------------------
def _customers(request: Request) -> CustomersClient:
    return CustomersClient(request.app.state.rpc, getattr(app_settings(request), "customers_service", None))


async def _new_context(request: Request, user: Any, values: dict[str, str]) -> dict[str, Any]:
    """The form, with the chosen customer's name and contacts, or customers matching ``q``."""
    customers = _customers(request)
    context: dict[str, Any] = {
        "nav": "tickets",
        "labels": LABELS,
        "values": values,
        "errors": [],
        "customer": None,
        "contacts": [],
        "matches": [],
        "channels": common.CHANNELS,
        "categories": common.CATEGORIES,
        "priorities": common.PRIORITIES,
    }
    customer_id = values.get("customer_id", "").strip()
    if customer_id:
        try:
            context["customer"] = await customers.get_customer(user.caller, customer_id[:64])
            page = await customers.list_children("contact", user.caller, customer_id[:64], None, 100)
            context["contacts"] = page["items"]
        except (NotFound, PermissionDenied):
            context["errors"] = [{"field": "customer_id", "message": "no such customer"}]
    elif values.get("q", "").strip():
        page = await customers.list_customers(user.caller, {"q": values["q"].strip()[:100]}, None, 20)
        context["matches"] = page["items"]
    return context


@router.get("/tickets/new")
async def ticket_new(
    request: Request,
    user: WebUser,
    customer_id: str = Query("", max_length=64),
    q: str = Query("", max_length=100),
) -> Response:
    require(user, "tickets:write")
    values = {"customer_id": customer_id, "q": q, "priority": "P3", "channel": "phone", "category": "fault"}
    return render(request, "tickets_new.html", await _new_context(request, user, values))


@router.post("/tickets")
async def ticket_create(request: Request, user: WebUser, desk: Desk) -> Response:
    require(user, "tickets:write")
    values = await read_form(request)
    raw: dict[str, Any] = {
        "customer_id": values.get("customer_id", "").strip(),
        "subject": values.get("subject", ""),
        "description": values.get("description", ""),
        "channel": values.get("channel", ""),
        "category": values.get("category", ""),
        "priority": values.get("priority", ""),
    }
    if optional(values, "contact_id"):
        raw["contact_id"] = optional(values, "contact_id")
    try:
        data = TicketCreate.model_validate(raw).model_dump(mode="json", exclude_none=True)
        ticket = await desk.create_ticket(user.caller, data)
    except (PydanticValidationError, ValidationError, Conflict) as exc:
        context = await _new_context(request, user, values)
        context["errors"] = form_errors(exc)
        status = exc.status if isinstance(exc, PanoramaError) else 422
        return render(request, "tickets_new.html", context, status_code=status)
    return RedirectResponse(_ticket_url(ticket["id"]), status_code=303)


# -- the ticket page -------------------------------------------------------------------------------------
async def _ticket_context(
    user: Any, desk: ServiceDeskClient, directory: Directory, ticket_id: str
) -> dict[str, Any]:
    ticket = await desk.get_ticket(user.caller, ticket_id)
    writer = allowed(user, "tickets:write")
    return {
        **_common(await _names(directory)),
        "ticket": ticket,
        "writer": writer,
        "moves": [(s, MOVES[s]) for s in ticket.get("allowed_statuses") or []] if writer else [],
        "reopen": ticket["status"] == "resolved",
        "support_users": await _support_users(directory) if writer and ticket["status"] != "closed" else [],
        "errors": [],
        "reply": "",
    }


@router.get("/tickets/{ticket_id}")
async def ticket_page(
    request: Request, ticket_id: str, user: WebUser, desk: Desk, directory: DirectoryDep
) -> Response:
    require(user, "tickets:read")
    context = await _ticket_context(user, desk, directory, ticket_id[:64])
    return render(request, "tickets_detail.html", context)


async def _refused(
    request: Request,
    user: Any,
    desk: ServiceDeskClient,
    directory: Directory,
    ticket_id: str,
    exc: Exception,
    reply: str = "",
) -> Response:
    context = await _ticket_context(user, desk, directory, ticket_id)
    context["errors"] = form_errors(exc)
    context["reply"] = reply
    status = exc.status if isinstance(exc, PanoramaError) else 422
    return render(request, "tickets_detail.html", context, status_code=status)


@router.post("/tickets/{ticket_id}/comments")
async def ticket_comment(
    request: Request, ticket_id: str, user: WebUser, desk: Desk, directory: DirectoryDep
) -> Response:
    require(user, "tickets:write")
    values = await read_form(request)
    ticket_id = ticket_id[:64]
    body = values.get("body", "")
    data = {"body": body, "visibility": values.get("visibility", "external")}
    try:
        c.CommentCreate.model_validate(data)
        await desk.add_comment(user.caller, ticket_id, data)
    except (PydanticValidationError, ValidationError, Conflict) as exc:
        return await _refused(request, user, desk, directory, ticket_id, exc, body)
    return RedirectResponse(_ticket_url(ticket_id) + "#timeline", status_code=303)


@router.post("/tickets/{ticket_id}/status")
async def ticket_status(
    request: Request, ticket_id: str, user: WebUser, desk: Desk, directory: DirectoryDep
) -> Response:
    require(user, "tickets:write")
    values = await read_form(request)
    ticket_id = ticket_id[:64]
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    note = (optional(values, "note") or "")[: c.COMMENT_MAX] or None
    try:
        await desk.change_status(user.caller, ticket_id, values.get("status", ""), version, note)
    except (ValidationError, Conflict) as exc:
        return await _refused(request, user, desk, directory, ticket_id, exc)
    return RedirectResponse(_ticket_url(ticket_id), status_code=303)


@router.post("/tickets/{ticket_id}/assign")
async def ticket_assign(
    request: Request, ticket_id: str, user: WebUser, desk: Desk, directory: DirectoryDep
) -> Response:
    require(user, "tickets:write")
    values = await read_form(request)
    ticket_id = ticket_id[:64]
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    assignee = optional(values, "assignee_id")
    if assignee == "me":
        assignee = user.id
    try:
        await desk.assign_ticket(user.caller, ticket_id, assignee, version)
    except (ValidationError, Conflict) as exc:
        return await _refused(request, user, desk, directory, ticket_id, exc)
    return RedirectResponse(_ticket_url(ticket_id), status_code=303)


# -- the customer page's tab --------------------------------------------------------------------------
async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """Every ticket of the customer, newest first (``CustomerTab`` "tickets"): when the customer
    calls again, support sees each earlier issue at once. (The customer page gives ``names``.)"""
    desk = ServiceDeskClient(
        request.app.state.rpc, getattr(app_settings(request), "service_desk_service", None)
    )
    page = await desk.list_tickets(user.caller, {"customer_id": customer_id}, None, 100)
    return {
        "labels": LABELS,
        "badges": STATUS_BADGES,
        "desk_tickets": page["items"],
        "desk_more": bool(page.get("next_cursor")),
        "desk_customer_id": customer_id,
    }


ROUTERS: tuple[APIRouter, ...] = (router,)
