"""Collections pages: the aging report with the collections forecast (/receivables/aging), the
user's finance notifications (/finance/notifications) and the customer page's credit tab.

Charts are server-side SVG drawn with attributes (the CSP allows no inline style); bucket cells
link into the receivables list (``/receivables?bucket=…``) filtered to the row's group.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from finance.contracts.collections import BUCKET_COLUMNS
from kernel.errors import NotFound, PermissionDenied, ValidationError
from kernel.money import format_money

from gateway.api.deps import DirectoryDep, app_settings
from gateway.api.routes._params import me_or
from gateway.auth.permissions import require
from gateway.services.finance.api_collections import Collections
from gateway.services.finance.client_collections import CollectionsRpc
from gateway.services.rpc_client import Record
from gateway.web.csrf import CSRF_FIELD, verify_csrf
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

CHART_WIDTH = 560
GROUP_FILTER = {"owner": "owner_id", "team": "team_id", "customer": "customer_id"}
BUCKETS = tuple(BUCKET_COLUMNS.items())  # ("1-30", "b1_30"), …
RISK_LABELS = {"none": "无 None", "low": "低 Low", "medium": "中 Medium", "high": "高 High"}


def money(minor: int | None, currency: str | None) -> str:
    return "—" if minor is None or currency is None else format_money(minor, currency)


def list_link(group_by: str, key: str | None, bucket: str | None, as_of: str) -> str:
    """The receivables list (fin_ar's page) filtered to one aging cell."""
    query: dict[str, str] = {}
    if key:
        query[GROUP_FILTER[group_by]] = key
    if bucket:
        query["bucket"] = bucket
    else:
        query["due_after"] = as_of  # not yet due
    return "/receivables?" + urlencode(query)


@dataclass(frozen=True)
class MonthBar:
    label: str
    currency: str
    x: int
    expected_h: int
    carried_h: int
    value: str


def forecast_bars(forecast: Record, currency: str, height: int = 160, step: int = 70) -> list[MonthBar]:
    """One stacked column per month: due that month (blue), the overdue carried (red) above it."""
    months = [m for m in forecast["items"] if m["currency"] == currency]
    top = max((m["total_minor"] for m in months), default=0) or 1
    return [
        MonthBar(
            label=m["month"],
            currency=currency,
            x=position * step,
            expected_h=round(height * m["expected_minor"] / top),
            carried_h=round(height * m["overdue_carried_minor"] / top),
            value=money(m["total_minor"], currency),
        )
        for position, m in enumerate(months)
    ]


def _day(value: str | None, errors: list[dict[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": "as_of", "message": "日期格式 YYYY-MM-DD"})
        return None


async def _choices(user: Any, directory: Any) -> dict[str, Any]:
    """Teams (names for the team rows; the filter for admins/finance) and sellers to filter by."""
    users = await run_in_threadpool(directory.list_users)
    teams = await run_in_threadpool(directory.list_teams)
    wide = user.has_any({"admin", "finance"})
    sellers = [u for u in users if "sales" in u.roles and u.active and (wide or u.team_id == user.team_id)]
    return {
        "teams": teams if wide else [],
        "team_names": {t.id: t.name for t in teams},
        "owners": sellers if user.has_any({"admin", "finance", "manager"}) else [],
    }


@router.get("/receivables/aging")
async def aging_page(
    request: Request,
    user: WebUser,
    service: Collections,
    directory: DirectoryDep,
    group_by: str = Query("owner", max_length=10),
    owner: str | None = Query(None, max_length=64),
    team: str | None = Query(None, max_length=64),
    as_of: str | None = Query(None, max_length=10),
    months: int = Query(6, ge=1, le=24),
) -> Response:
    require(user, "receivables:read")
    errors: list[dict[str, str]] = []
    day = _day(as_of, errors)
    if group_by not in GROUP_FILTER:
        errors.append({"field": "group_by", "message": "owner | team | customer"})
    report: Record | None = None
    forecast: Record | None = None
    if not errors:
        who, team_id = me_or(user.id, owner or None), team or None
        day_text = day.isoformat() if day else None
        try:
            report, forecast = await asyncio.gather(
                service.aging_report(user.caller, group_by=group_by, owner=who, team=team_id, as_of=day_text),
                service.collections_forecast(
                    user.caller, months=months, owner=who, team=team_id, customer_id=None, as_of=day_text
                ),
            )
        except (ValidationError, PermissionDenied) as exc:
            errors = [{"field": e.get("field", ""), "message": e.get("message", "")} for e in exc.errors] or [
                {"field": "", "message": exc.detail}
            ]
    choices = await _choices(user, directory)
    currencies = sorted({i["currency"] for i in forecast["items"]}) if forecast else []
    return render(
        request,
        "collections_aging.html",
        {
            "nav": "aging",
            "filters": {"group_by": group_by, "owner": owner or "", "team": team or "", "as_of": as_of or ""},
            "errors": errors,
            "report": report,
            "forecast": forecast,
            "charts": {c: forecast_bars(forecast, c) for c in currencies} if forecast else {},
            "buckets": BUCKETS,
            "money": money,
            "list_link": list_link,
            "chart_width": CHART_WIDTH,
            **choices,
        },
    )


@router.get("/finance/notifications")
async def notifications_page(
    request: Request,
    user: WebUser,
    service: Collections,
    unread: bool = Query(False),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "receivables:read")
    try:
        page = await service.list_notifications(user.caller, unread, cursor or None, 50)
    except ValidationError:
        page = await service.list_notifications(user.caller, unread, None, 50)  # a stale cursor
    return render(
        request,
        "collections_notifications.html",
        {"nav": "finance-notifications", "page": page, "unread": unread},
    )


@router.post("/finance/notifications/{notification_id}/read")
async def mark_read(request: Request, notification_id: str, user: WebUser, service: Collections) -> Response:
    require(user, "receivables:read")
    form = await request.form(max_files=0, max_fields=5)
    verify_csrf(request, form.get(CSRF_FIELD))
    with contextlib.suppress(NotFound):  # not the caller's: the list shows what is theirs
        await service.mark_notification_read(user.caller, notification_id[:64])
    return RedirectResponse("/finance/notifications", status_code=303)


async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """The customer's credit risk and its collections forecast (``CustomerTab`` "credit")."""
    finance = CollectionsRpc(request.app.state.rpc, getattr(app_settings(request), "finance_service", None))
    try:
        risk, forecast = await asyncio.gather(
            finance.get_customer_risk(user.caller, customer_id),
            finance.collections_forecast(
                user.caller, months=6, owner=None, team=None, customer_id=customer_id, as_of=None
            ),
        )
    except (NotFound, PermissionDenied):  # the customer's finances are not the caller's to see
        risk, forecast = None, None
    return {
        "credit_risk": risk,
        "credit_forecast": forecast,
        "risk_labels": RISK_LABELS,
        "money": money,
    }


ROUTERS: tuple[APIRouter, ...] = (router,)
