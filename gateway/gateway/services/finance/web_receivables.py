"""Pages of the finance service's receivables area: the list (filters by customer, status and
aging bucket; bucket chips with their totals; overdue rows highlighted), one receivable (the
payments that paid it, its audit trail) and the customer page's "财务 Finance" tab.

Read-only: receivables are made from sales orders; payments (another page) pay them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from finance.contracts.common import OVERDUE_BUCKETS, RECEIVABLE_STATUSES
from kernel.money import format_money

from gateway.api.deps import DirectoryDep, app_settings
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.services.finance.api_receivables import Finance
from gateway.services.finance.client import FinanceClient
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {
    "open": "待收",
    "partially_paid": "部分回款",
    "paid": "已回款",
    "written_off": "已核销",
    "cancelled": "已取消",
}
# status -> badge class of app.css
BADGES = {
    "open": "status-prospect",
    "partially_paid": "status-prospect",
    "paid": "status-active",
    "written_off": "",
    "cancelled": "task-status-cancelled",
}
TAB_LIMIT = 100  # the customer tab shows this many of the customer's receivables at most


def money(amount_minor: Any, currency: Any = "CNY") -> str:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        return "—"
    return format_money(amount_minor, str(currency or "CNY"))


def totals(per_currency: dict[str, int] | None) -> str:
    """{"CNY": 12345, "USD": 100} → "¥123.45 + $1.00" (a sum across currencies means nothing)."""
    if not per_currency:
        return money(0)
    return " + ".join(money(amount, currency) for currency, amount in sorted(per_currency.items()))


def _common(names: dict[str, str]) -> dict[str, Any]:
    return {
        "nav": "receivables",
        "names": names,
        "money": money,
        "totals": totals,
        "badges": BADGES,
        "status_labels": STATUS_LABELS,
    }


async def _names(directory: Directory) -> dict[str, str]:
    names: dict[str, str] = await run_in_threadpool(directory.display_names)
    return names


# -- the list -------------------------------------------------------------------------------------
@router.get("/receivables")
async def receivable_list(
    request: Request,
    user: WebUser,
    finance: Finance,
    directory: DirectoryDep,
    customer_id: str | None = Query(None, max_length=64),
    customer_name: str | None = Query(None, max_length=64),
    status: str | None = Query(None, pattern=f"^({'|'.join(RECEIVABLE_STATUSES)})?$"),
    bucket: str | None = Query(None, pattern=f"^({'|'.join(OVERDUE_BUCKETS).replace('+', '[+]')})?$"),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "receivables:read")
    named = (customer_name or "").strip()
    kept = {
        k: v for k, v in (("customer_id", customer_id), ("customer_name", named), ("status", status)) if v
    }
    filters = {**kept, **({"bucket": bucket} if bucket else {})}
    page = await finance.list_receivables(user.caller, filters, cursor or None, 50)
    items = page["items"]
    next_cursor = page.get("next_cursor")
    customer_name = next((i.get("customer_name") for i in items if i.get("customer_name")), None)
    return render(
        request,
        "receivables_list.html",
        {
            **_common(await _names(directory)),
            "receivables": items,
            "chips_url": "/receivables/chips?" + urlencode(filters),
            "customer_id": customer_id or "",
            "customer_query": named,
            "customer_name": customer_name,
            "status": status or "",
            "bucket": bucket or "",
            "statuses": RECEIVABLE_STATUSES,
            "buckets": OVERDUE_BUCKETS,
            "next_query": urlencode({**filters, "cursor": next_cursor}) if next_cursor else "",
        },
    )


# -- the aging-bucket chips (loaded after the list: adding up every open instalment costs more) ----
@router.get("/receivables/chips")
async def receivable_chips(
    request: Request,
    user: WebUser,
    finance: Finance,
    customer_id: str | None = Query(None, max_length=64),
    customer_name: str | None = Query(None, max_length=64),
    status: str | None = Query(None, max_length=20),
    bucket: str | None = Query(None, max_length=8),
) -> Response:
    """The totals are of the customer's (or everything the caller may read); the links keep the
    list's other filters."""
    require(user, "receivables:read")
    summary = await finance.receivables_summary(user.caller, customer_id or None)
    pairs = (("customer_id", customer_id), ("customer_name", customer_name), ("status", status))
    kept = {k: v for k, v in pairs if v}
    chips = [
        {
            "bucket": name,
            "count": summary["bucket_counts"].get(name, 0),
            "total": totals(summary["buckets"].get(name)),
            "href": "/receivables?" + urlencode({**kept, "bucket": name}),
            "on": bucket == name,
        }
        for name in OVERDUE_BUCKETS
    ]
    context = {
        "summary": summary,
        "chips": chips,
        "bucket": bucket or "",
        "customer_id": customer_id or "",
        "all_href": "/receivables?" + urlencode(kept) if kept else "/receivables",
        "totals": totals,
    }
    return render(request, "receivables_chips.html", context)


# -- one receivable ------------------------------------------------------------------------------
@router.get("/receivables/{receivable_id}")
async def receivable_page(
    request: Request, receivable_id: str, user: WebUser, finance: Finance, directory: DirectoryDep
) -> Response:
    require(user, "receivables:read")
    receivable = await finance.get_receivable(user.caller, receivable_id[:64])
    return render(
        request,
        "receivables_detail.html",
        {**_common(await _names(directory)), "receivable": receivable},
    )


# -- the customer page's tab -----------------------------------------------------------------------
async def customer_tab(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    """The customer's open receivables, what is overdue, the last payment (``CustomerTab``
    "finance"). ``risk`` is the credit-risk level's place (filled by the collections area)."""
    finance = FinanceClient(request.app.state.rpc, getattr(app_settings(request), "finance_service", None))
    page, summary = await asyncio.gather(
        finance.list_receivables(user.caller, {"customer_id": customer_id}, None, TAB_LIMIT),
        finance.receivables_summary(user.caller, customer_id),
    )
    open_items = [i for i in page["items"] if i.get("status") in ("open", "partially_paid")]
    open_items.sort(key=lambda i: (str(i.get("due_date")), int(i.get("seq") or 0)))
    return {
        "money": money,
        "totals": totals,
        "badges": BADGES,
        "status_labels": STATUS_LABELS,
        "fin_customer_id": customer_id,
        "fin_open": open_items,
        "fin_summary": summary,
        "risk": None,
    }


ROUTERS: tuple[APIRouter, ...] = (router,)
