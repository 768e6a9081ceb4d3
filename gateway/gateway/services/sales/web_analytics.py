"""The sales dashboard (/sales/dashboard): the funnel RPC drawn as server-side SVG.

No chart library and no inline styles (the pages' CSP allows only our own stylesheet): bar
geometry is computed here and drawn with SVG attributes, so the page works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from kernel.errors import PermissionDenied, ValidationError
from sales.contracts.common import DEFAULT_CURRENCY

from gateway.api.deps import DirectoryDep
from gateway.auth.permissions import require
from gateway.auth.records import UserRecord
from gateway.services.sales.api_analytics import Analytics, ask_funnel
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

CHART_WIDTH = 560  # SVG user units of a bar's full length
CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}


def money(minor: int | None, currency: str) -> str:
    """Minor units as the currency's major amount (two decimals), e.g. ¥1,234.50."""
    if minor is None:
        return "—"
    sign = CURRENCY_SIGNS.get(currency, f"{currency} ")
    return f"{sign}{Decimal(minor) / 100:,.2f}"


def percent(rate: str | None) -> str:
    if rate is None:
        return "—"
    try:
        return f"{Decimal(rate) * 100:.1f}%"
    except InvalidOperation:
        return "—"


@dataclass(frozen=True)
class Bar:
    label: str
    value: str  # the figure printed beside the bar
    width: int  # SVG units, of CHART_WIDTH
    y: int
    note: str = ""
    overlay: int | None = None  # a second, inner bar (e.g. the weighted part of an amount)


def bars(rows: list[tuple[str, int, str, str]], *, full: int | None = None, step: int = 34) -> list[Bar]:
    """(label, magnitude, value text, note) → bars scaled to ``full`` (default: the largest)."""
    top = full or max((r[1] for r in rows), default=0) or 1
    return [
        Bar(label, text, max(2, round(CHART_WIDTH * size / top)) if size else 0, i * step, note)
        for i, (label, size, text, note) in enumerate(rows)
    ]


def charts(result: dict[str, Any]) -> dict[str, Any]:
    currency = result["currency"]
    steps = [s for s in result["stages"] if s["reached"] is not None]
    funnel = bars([(s["label"], s["reached"], f"{s['reached']:,}", "") for s in steps])
    labels = {s["stage"]: s["label"] for s in result["stages"]}
    conversion = bars(
        [
            (
                f"{labels[c['from_stage']]} → {labels[c['to_stage']]}",
                int(Decimal(c["rate"]) * 10_000) if c["rate"] is not None else 0,
                percent(c["rate"]),
                f"{c['reached_to']:,} / {c['reached_from']:,}",
            )
            for c in result["conversion"]
        ],
        full=10_000,  # 100 %
    )
    lost = bars(
        [
            (r["label"], r["count"], f"{r['count']:,}", money(r["amount_minor"], currency))
            for r in result["lost_reasons"]
        ]
    )
    months = result["forecast"]
    top = max((m["amount_minor"] for m in months), default=0) or 1
    forecast = [
        Bar(
            label=m["month"] or "未排期 No date",
            value=money(m["weighted_amount_minor"], currency),
            width=round(CHART_WIDTH * m["amount_minor"] / top),
            overlay=round(CHART_WIDTH * m["weighted_amount_minor"] / top),
            y=i * 34,
            note=f"{m['count']:,} · {money(m['amount_minor'], currency)}",
        )
        for i, m in enumerate(months)
    ]
    return {"funnel": funnel, "conversion": conversion, "lost": lost, "forecast": forecast}


def _day(value: str | None, field: str, errors: list[dict[str, str]]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": field, "message": "日期格式 YYYY-MM-DD"})
        return None


async def _choices(user: UserRecord, directory: Any) -> dict[str, Any]:
    """Whose funnel the form offers: admins any team and seller, managers their team's sellers."""
    if not user.has_any({"admin", "manager"}):
        return {"teams": [], "owners": []}
    users = await run_in_threadpool(directory.list_users)
    teams = await run_in_threadpool(directory.list_teams) if "admin" in user.roles else []
    sellers = [
        u
        for u in users
        if "sales" in u.roles and u.active and ("admin" in user.roles or u.team_id == user.team_id)
    ]
    return {"teams": teams, "owners": sellers}


@router.get("/sales/dashboard")
async def dashboard(
    request: Request,
    user: WebUser,
    service: Analytics,
    directory: DirectoryDep,
    owner: str | None = Query(None, max_length=64),
    team: str | None = Query(None, max_length=64),
    date_from: str | None = Query(None, alias="from", max_length=10),
    date_to: str | None = Query(None, alias="to", max_length=10),
    currency: str | None = Query(None, max_length=3),
) -> Response:
    require(user, "analytics:read")
    errors: list[dict[str, str]] = []
    start, end = _day(date_from, "from", errors), _day(date_to, "to", errors)
    code = (currency or DEFAULT_CURRENCY).upper()
    if len(code) != 3 or not code.isalpha():
        errors.append({"field": "currency", "message": "三位币种代码 ISO 4217, e.g. CNY"})
    result: dict[str, Any] | None = None
    if not errors:
        try:
            result = await ask_funnel(
                service,
                user,
                owner=owner or None,
                team=team or None,
                date_from=start,
                date_to=end,
                currency=code,
            )
        except (ValidationError, PermissionDenied) as exc:
            errors = [{"field": e.get("field", ""), "message": e.get("message", "")} for e in exc.errors] or [
                {"field": "", "message": exc.detail}
            ]
    return render(
        request,
        "analytics_dashboard.html",
        {
            "nav": "sales-dashboard",
            "filters": {
                "owner": owner or "",
                "team": team or "",
                "from": date_from or "",
                "to": date_to or "",
            },
            "currency": code,
            "errors": errors,
            "result": result,
            "charts": charts(result) if result else None,
            "chart_width": CHART_WIDTH,
            "money": money,
            "percent": percent,
            **(await _choices(user, directory)),
        },
    )


ROUTERS: tuple[APIRouter, ...] = (router,)
