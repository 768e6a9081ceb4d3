"""Pages (GET): dashboard, customer list and page, tasks."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urlencode

from customers import contracts as c
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from kernel.clock import utcnow

from gateway.api.deps import DirectoryDep
from gateway.auth.directory import Directory
from gateway.auth.permissions import allowed, require
from gateway.auth.records import UserRecord
from gateway.services import RESERVED_TABS, customer_tabs
from gateway.services.customers.api import Customers
from gateway.services.customers.client import CustomersClient
from gateway.services.customers.labels import CONTACT_ROLE_ORDER
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
# Order of the channel picker: the common ones first.
CHANNELS = ("call", "visit", "wechat", "meeting", "email", "other")


async def people(directory: Directory) -> dict[str, Any]:
    names = await run_in_threadpool(directory.display_names)
    teams = await run_in_threadpool(directory.list_teams)
    return {"names": names, "team_names": {t.id: t.name for t in teams}}


@router.get("/")
async def dashboard(
    request: Request,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    mine_only = "sales" in user.roles and not user.has_any({"admin", "manager"})
    filters = {"owner_id": user.id} if mine_only else {}
    calls: list[Any] = [customers.list_customers(user.caller, filters, None, 10)]
    if allowed(user, "tasks:read"):
        calls.append(customers.list_tasks(user.caller, {"assignee_id": user.id, "status": "open"}, None, 10))
    pages = await asyncio.gather(*calls)
    tasks = sorted(pages[1]["items"], key=lambda t: t.get("due_at") or "") if len(pages) > 1 else []
    return render(
        request,
        "dashboard.html",
        {
            "nav": "home",
            "now": utcnow(),
            "customers": pages[0]["items"],
            "tasks": tasks,
            "mine_only": mine_only,
            **(await people(directory)),
        },
    )


@router.get("/customers")
async def customer_list(
    request: Request,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
    q: str | None = Query(None, max_length=200),
    status: str | None = Query(None, pattern=f"^({'|'.join(c.LIFECYCLE_STATUSES)})?$"),
    owner: str | None = Query(None, pattern="^(me)?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    filters: dict[str, Any] = {}
    if q and q.strip():
        filters["q"] = q.strip()
    if status:
        filters["status"] = status
    if owner == "me":
        filters["owner_id"] = user.id
    page = await customers.list_customers(user.caller, filters, cursor or None, 50)
    query = {k: v for k, v in (("q", q), ("status", status), ("owner", owner)) if v}
    next_cursor = page.get("next_cursor")
    return render(
        request,
        "customers_list.html",
        {
            "nav": "customers",
            "customers": page["items"],
            "filters": {"q": q, "status": status, "owner": owner},
            "next_cursor": next_cursor,
            "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
            **(await people(directory)),
        },
    )


@router.get("/customers/new")
async def customer_new(request: Request, user: WebUser) -> Response:
    require(user, "customers:write")
    return render(request, "customer_form.html", {"nav": "customers", "values": {}, "errors": []})


def _decision_chain(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rank = {role: i for i, role in enumerate(CONTACT_ROLE_ORDER)}
    return sorted(contacts, key=lambda c: (rank.get(c.get("role") or "other", 99), not c.get("is_primary")))


async def customer_context(
    user: UserRecord,
    customers: CustomersClient,
    directory: Directory,
    customer_id: str,
    *,
    tab: str = "overview",
    audit_cursor: str | None = None,
    request: Request | None = None,
) -> dict[str, Any]:
    """Everything the customer page shows; sections the role may not see are not fetched."""
    caller = user.caller
    customer = await customers.get_customer(caller, customer_id)
    extra = customer_tabs(request.app) if request is not None else {}
    context: dict[str, Any] = {
        "nav": "customers",
        "customer": customer,
        "tab": tab,
        "channels": CHANNELS,
        "contact_roles": CONTACT_ROLE_ORDER,
        "contacts": [],
        "contact_names": {},
        "follow_ups": [],
        "tasks": [],
        "follow_up_values": {},
        "contact_values": {},
        "task_values": {},
        "return_to": f"/customers/{quote(customer_id, safe='')}#tasks",
        "customer_tabs": [t for t in extra.values() if allowed(user, t.capability)],
        **(await people(directory)),
    }
    if tab in extra and request is not None:
        require(user, extra[tab].capability)
        context.update(await extra[tab].load(request, user, customer_id), tab_template=extra[tab].template)
        return context
    if tab == "audit":
        require(user, "customers:audit")
        page = await customers.get_audit(caller, customer_id, audit_cursor, 50)
        context.update(audit=page["items"], audit_next=page.get("next_cursor"))
        return context
    wanted: dict[str, Any] = {}
    if allowed(user, "contacts:read"):
        wanted["contacts"] = customers.list_children("contact", caller, customer_id, None, 100)
    if allowed(user, "follow_ups:read"):
        wanted["follow_ups"] = customers.list_children("follow_up", caller, customer_id, None, 50)
    if allowed(user, "tasks:read"):
        wanted["tasks"] = customers.list_tasks(caller, {"customer_id": customer_id}, None, 100)
    pages = dict(zip(wanted, await asyncio.gather(*wanted.values()), strict=True))
    if "contacts" in pages:
        context["contacts"] = _decision_chain(pages["contacts"]["items"])
        context["contact_names"] = {c["id"]: c["name"] for c in pages["contacts"]["items"]}
    if "follow_ups" in pages:
        context["follow_ups"] = pages["follow_ups"]["items"]
        context["follow_ups_more"] = bool(pages["follow_ups"].get("next_cursor"))
    if "tasks" in pages:
        # Open first (soonest due first), then the finished ones.
        items = pages["tasks"]["items"]
        context["tasks"] = sorted(items, key=lambda t: (t.get("status") != "open", t.get("due_at") or ""))
    if allowed(user, "customers:transfer"):
        users = await run_in_threadpool(directory.list_users)
        owner = customer.get("owner_id")
        context["transfer_targets"] = [
            u for u in users if c.transfer_eligible(caller, c.User.model_validate(u.replica()), owner)
        ]
    return context


@router.get("/customers/{customer_id}")
async def customer_page(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
    tab: str = Query("overview", pattern="^[a-z_]{1,40}$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    if tab not in RESERVED_TABS and tab not in customer_tabs(request.app):
        raise HTTPException(status_code=404, detail=f"the customer page has no tab {tab!r}")
    context = await customer_context(
        user, customers, directory, customer_id[:64], tab=tab, audit_cursor=cursor, request=request
    )
    return render(request, "customer_detail.html", context)


@router.get("/tasks")
async def task_list(
    request: Request,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
    view: str = Query("open", pattern="^(open|overdue|done)$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "tasks:read")
    filters: dict[str, Any] = {"assignee_id": user.id}
    if view == "overdue":
        filters["overdue"] = True
    else:
        filters["status"] = view
    page = await customers.list_tasks(user.caller, filters, cursor or None, 50)
    items = page["items"]
    if view != "done":
        items = sorted(items, key=lambda t: t.get("due_at") or "")
    return render(
        request,
        "tasks.html",
        {
            "nav": "tasks",
            "view": view,
            "return_to": f"/tasks?view={view}",
            "tasks": items,
            "next_cursor": page.get("next_cursor"),
            **(await people(directory)),
        },
    )
