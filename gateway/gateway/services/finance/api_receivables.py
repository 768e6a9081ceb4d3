"""/api/v1 routes of the finance service's receivables area (issue 10 §4).

GET /api/v1/receivables?customer_id=&customer_name=&order_id=&status=&bucket=&owner_id=&team_id=
    &due_before=&due_after=
    → a page of receivables {id, order_id, due_date, amount_minor, paid_minor, outstanding_minor,
      currency, status, overdue_days, …} (cursor paging); a bad status or bucket is 422 naming it
GET /api/v1/receivables/summary?customer_id=   → owed, overdue per bucket, the last payment
GET /api/v1/receivables/{id}                    → one, with the payments that paid it (ETag)

Receivables are made by the finance service from sales orders; nothing here writes them.
Static paths under /api/v1/receivables/ (``summary`` here, ``aging`` elsewhere) must be routed
before ``/{receivable_id}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from finance.contracts import receivables as c
from finance.contracts.common import OverdueBucket, ReceivableStatus

from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, Limit
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS
from gateway.services.finance.client import FinanceClient

get_finance = FinanceClient.dependency()
Finance = Annotated[FinanceClient, Depends(get_finance)]
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # the service checks it is a real day (422 naming the filter)
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64)]


class ReceivableOut(ResponseModel, c.Receivable):
    pass


class ReceivableDetailOut(ResponseModel, c.ReceivableDetail):
    pass


class ReceivablePage(ResponseModel, Page[ReceivableOut]):
    pass


class ReceivablesSummaryOut(ResponseModel, c.ReceivablesSummary):
    pass


def receivable_filters(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


receivables = APIRouter(prefix="/api/v1/receivables", tags=["receivables"], responses=COMMON_ERRORS)


@receivables.get("", response_model=ReceivablePage, summary="List receivables visible to you (应收)")
async def list_receivables(
    service: Finance,
    customer_id: RecordFilter = None,
    customer_name: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Part of the name")
    ] = None,
    order_id: RecordFilter = None,
    status: ReceivableStatus | None = Query(
        None, description="open, partially_paid, paid, written_off, cancelled"
    ),
    bucket: OverdueBucket | None = Query(
        None,
        description="Aging bucket (days past due as of today) of the unsettled ones: 1-30, 31-60, 61-90, 90+",
    ),
    owner_id: RecordFilter = None,
    team_id: RecordFilter = None,
    due_before: str | None = Query(None, pattern=DAY, description="Due on or before this day (YYYY-MM-DD)"),
    due_after: str | None = Query(None, pattern=DAY, description="Due on or after this day (YYYY-MM-DD)"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    filters = receivable_filters(
        customer_id=customer_id,
        customer_name=customer_name,
        order_id=order_id,
        status=status,
        bucket=bucket,
        owner_id=owner_id,
        team_id=team_id,
        due_before=due_before,
        due_after=due_after,
    )
    return JSONResponse(await service.list_receivables(user.caller, filters, cursor, limit))


@receivables.get(
    "/summary",
    response_model=ReceivablesSummaryOut,
    summary="Receivables at a glance (one customer's, or all you may read): outstanding, overdue per "
    "aging bucket and currency, the customer's last payment",
)
async def receivables_summary(
    service: Finance,
    customer_id: RecordFilter = None,
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    return JSONResponse(await service.receivables_summary(user.caller, customer_id))


receivable_routes = CrudRoutes(receivables, get_finance, "receivables", ReceivableDetailOut)
receivable_routes.get(
    "/{receivable_id}",
    "receivable_id",
    name="get_receivable",
    summary="Get a receivable with the payments that paid it and its audit trail",
    fetch=lambda s, caller, record_id: s.get_receivable(caller, record_id),
)

ROUTERS: tuple[APIRouter, ...] = (receivables,)
