"""/api/v1 routes of the finance service's collections area: the aging report, the collections
forecast, a customer's credit risk and the caller's notifications.

    GET  /api/v1/receivables/aging?group_by=&owner=&team=&as_of=
    GET  /api/v1/receivables/forecast?months=&owner=&team=&customer_id=&as_of=
    GET  /api/v1/customers/{customer_id}/credit-risk
    GET  /api/v1/finance/notifications?unread_only=&cursor=&limit=
    POST /api/v1/finance/notifications/{notification_id}/read

The service decides what the caller sees (finance everything, a manager the team's, a seller
their own); ``owner=me`` is the caller. Errors name the query parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from finance.contracts import collections as c

from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, Limit, RecordId, me_or
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, NOT_FOUND
from gateway.services.finance.client_collections import CollectionsRpc

get_collections = CollectionsRpc.dependency()
Collections = Annotated[CollectionsRpc, Depends(get_collections)]

Owner = Annotated[str | None, Query(min_length=1, max_length=64, description="Seller user id, or `me`")]
Team = Annotated[str | None, Query(min_length=1, max_length=64, description="Team id")]
# Text, not ``date``: pydantic would read "0" as a Unix timestamp; the service parses the day.
AsOf = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="The day ages are counted to, YYYY-MM-DD (default: today in the business zone)",
    ),
]


class AgingOut(ResponseModel, c.Aging):
    pass


class ForecastOut(ResponseModel, c.Forecast):
    pass


class CreditRiskOut(ResponseModel, c.CreditRisk):
    pass


class NotificationOut(ResponseModel, c.Notification):
    pass


class NotificationPage(ResponseModel, Page[NotificationOut]):
    pass


receivables = APIRouter(prefix="/api/v1/receivables", tags=["collections"], responses=COMMON_ERRORS)


@receivables.get(
    "/aging",
    response_model=AgingOut,
    summary="Aging report: outstanding per owner, team or customer, not yet due and per overdue bucket",
    description=(
        "One row per group and currency: `current` (not yet due on `as_of`), `b1_30`, `b31_60`, "
        "`b61_90`, `b90_plus` (days past due) and `total`, in integer minor units, over the unsettled "
        "instalments you may see (finance: all; manager: your team's; sales: your own and your "
        "customers'). `owner` / `team` narrow that, they never widen it. The `limit` largest groups are "
        "listed (`groups`: how many there are); `totals` (per currency) cover all of them."
    ),
)
async def aging_report(
    service: Collections,
    owner: Owner = None,
    team: Team = None,
    group_by: c.AgingGroup = Query("owner", description="owner | team | customer"),
    as_of: AsOf = None,
    limit: int = Query(
        c.DEFAULT_AGING_ROWS, ge=1, le=c.MAX_AGING_ROWS, description="The largest groups (by total) to list"
    ),
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    result = await service.aging_report(
        user.caller,
        group_by=group_by,
        owner=me_or(user.id, owner),
        team=team,
        as_of=as_of,
        limit=limit,
    )
    return JSONResponse(AgingOut.model_validate(result).model_dump(mode="json"))


@receivables.get(
    "/forecast",
    response_model=ForecastOut,
    summary="Collections forecast: what the payment plans expect per month",
    description=(
        "Per month from `as_of`'s on and per currency: `expected_minor` (outstanding of instalments "
        "falling due that month, from `as_of` on) and `overdue_carried_minor` (already past due on "
        "`as_of`, carried into the first month). `later_minor`: due after the horizon."
    ),
)
async def collections_forecast(
    service: Collections,
    months: int = Query(6, ge=1, le=c.MAX_FORECAST_MONTHS, description="Months ahead, this one included"),
    owner: Owner = None,
    team: Team = None,
    customer_id: str | None = Query(None, min_length=1, max_length=64, description="One customer"),
    as_of: AsOf = None,
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    result = await service.collections_forecast(
        user.caller,
        months=months,
        owner=me_or(user.id, owner),
        team=team,
        customer_id=customer_id,
        as_of=as_of,
    )
    return JSONResponse(ForecastOut.model_validate(result).model_dump(mode="json"))


customers = APIRouter(prefix="/api/v1/customers", tags=["collections"], responses=COMMON_ERRORS)


@customers.get(
    "/{customer_id}/credit-risk",
    response_model=CreditRiskOut,
    summary="A customer's credit-risk level (none | low | medium | high) and what it rests on",
    description=(
        "From the customer's overdue amount (the largest of one currency) and the age of its oldest "
        "overdue instalment; `none` (version 0) if it was never assessed. Readable by whoever may read "
        "the customer's receivables."
    ),
    responses=NOT_FOUND,
)
async def get_customer_risk(
    service: Collections, customer_id: RecordId, user: UserRecord = Depends(requires("receivables:read"))
) -> JSONResponse:
    result = await service.get_customer_risk(user.caller, customer_id)
    return JSONResponse(CreditRiskOut.model_validate(result).model_dump(mode="json"))


inbox = APIRouter(prefix="/api/v1/finance", tags=["collections"], responses=COMMON_ERRORS)


@inbox.get(
    "/notifications",
    response_model=NotificationPage,
    summary="Your finance notifications (overdue instalments, customers turning high-risk), newest first",
)
async def list_notifications(
    service: Collections,
    unread_only: bool = Query(False, description="Only those not yet marked read"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    page: dict[str, Any] = await service.list_notifications(user.caller, unread_only, cursor, limit)
    return JSONResponse(page)


@inbox.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one of your notifications read (again: harmless)",
    responses=NOT_FOUND,
)
async def mark_notification_read(
    service: Collections,
    notification_id: RecordId,
    user: UserRecord = Depends(requires("receivables:read")),
) -> JSONResponse:
    return JSONResponse(await service.mark_notification_read(user.caller, notification_id))


ROUTERS: tuple[APIRouter, ...] = (receivables, customers, inbox)
