"""/api/v1 routes of the sales service's analytics area: the funnel (issue 9 §7).

    GET /api/v1/analytics/funnel?owner=&team=&from=&to=&currency=

The numbers' definitions are in ``sales.contracts.analytics``; the service decides the scope
(``owner=me`` is the caller). Errors name the query parameters, not the RPC's arguments.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from kernel.errors import PanoramaError, ValidationError
from sales.contracts.analytics import Funnel
from sales.contracts.common import DEFAULT_CURRENCY

from gateway.api.deps import requires
from gateway.api.routes._params import me_or
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, NOT_FOUND
from gateway.services.sales.client_analytics import AnalyticsRpc

get_analytics = AnalyticsRpc.dependency()
Analytics = Annotated[AnalyticsRpc, Depends(get_analytics)]

# the RPC's argument → the query parameter a REST client sent
PARAMETERS = {"owner_id": "owner", "team_id": "team", "date_from": "from", "date_to": "to"}


async def ask_funnel(
    service: AnalyticsRpc,
    user: UserRecord,
    *,
    owner: str | None,
    team: str | None,
    date_from: date | None,
    date_to: date | None,
    currency: str,
) -> dict[str, Any]:
    """The funnel RPC, its errors renamed to the query parameters."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError.for_field("from", "must not be after `to`")
    try:
        result: dict[str, Any] = await service.funnel(
            user.caller,
            owner_id=me_or(user.id, owner),
            team_id=team,
            date_from=date_from.isoformat() if date_from else None,
            date_to=date_to.isoformat() if date_to else None,
            currency=currency,
        )
    except PanoramaError as exc:
        exc.errors = [{**e, "field": PARAMETERS.get(e.get("field", ""), e.get("field"))} for e in exc.errors]
        raise
    return result


router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=COMMON_ERRORS)


@router.get(
    "/funnel",
    response_model=Funnel,
    summary="Funnel analytics: stages, conversion, win rate, cycle time, lost reasons, weighted forecast",
    description=(
        "Over the opportunities you may see (admin: all; manager: your team; sales: your own and "
        "those on your customers), narrowed by `owner` / `team`. Stages and conversion count the "
        "opportunities **created** in `[from, to]`, win rate, cycle time and lost reasons those "
        "**closed** in it, the forecast the open ones **expected to close** in it (by month). "
        "Whole UTC days, both ends included; amounts in integer minor units of one `currency`; "
        'rates are decimal fractions as strings (`"0.4250"`), `null` when there is nothing to '
        "divide. Asking for another team or another team's seller is 403."
    ),
    responses=NOT_FOUND,
)
async def funnel(
    service: Analytics,
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    team: str | None = Query(None, min_length=1, max_length=64, description="Team id"),
    date_from: date | None = Query(None, alias="from", description="First day, YYYY-MM-DD (UTC)"),
    date_to: date | None = Query(None, alias="to", description="Last day, YYYY-MM-DD (UTC), included"),
    currency: str = Query(DEFAULT_CURRENCY, pattern=r"^[A-Z]{3}$", description="ISO 4217 code"),
    user: UserRecord = Depends(requires("analytics:read")),
) -> JSONResponse:
    result = await ask_funnel(
        service, user, owner=owner, team=team, date_from=date_from, date_to=date_to, currency=currency
    )
    return JSONResponse(Funnel.model_validate(result).model_dump(mode="json"))


ROUTERS: tuple[APIRouter, ...] = (router,)
