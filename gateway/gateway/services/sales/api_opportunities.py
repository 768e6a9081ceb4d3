"""/api/v1 routes of the sales service's opportunities area (issue 9 §7):

- ``POST /api/v1/opportunities`` ``{customer_id, title, amount_minor, currency, expected_close_date}``
  → 201 ``{id, stage, version, ...}`` (Idempotency-Key), ``GET``/``PATCH``/``DELETE`` one (ETag,
  If-Match), ``GET /api/v1/opportunities?customer_id=&stage=&owner=`` (cursor paging);
- ``POST /api/v1/opportunities/{id}/stage`` ``{stage, lost_reason?, lost_note?}`` (If-Match optional);
- the managed lists: ``/api/v1/lost-reasons``, ``/api/v1/stage-settings`` (admins change them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sales.contracts import opportunities as c

from gateway.api.concurrency import expected_version, record_response
from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId, me_or
from gateway.api.schemas.common import Page, ResponseModel, Versioned
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.sales.client import SalesClient


# -- REST bodies (fields, choices and limits from sales.contracts.opportunities) -----------------
class OpportunityCreate(c.OpportunityCreate):
    pass


class OpportunityUpdate(Versioned, c.OpportunityUpdate):
    pass


class StageMove(Versioned, c.StageMove):
    pass


class StageChangeOut(ResponseModel, c.StageChange):
    pass


class OpportunityOut(ResponseModel, c.OpportunityDetail):
    stage_history: list[StageChangeOut] = []  # type: ignore[assignment]  # the REST shape of each move


class OpportunityItem(ResponseModel, c.Opportunity):
    pass


class OpportunityPage(ResponseModel, Page[OpportunityItem]):
    pass


class LostReasonOut(ResponseModel, c.LostReason):
    pass


class LostReasonPage(ResponseModel, Page[LostReasonOut]):
    pass


class LostReasonCreate(c.LostReasonCreate):
    pass


class LostReasonUpdate(c.LostReasonUpdate):
    pass


class StageSettingOut(ResponseModel, c.StageSetting):
    pass


class StageProbabilities(c.StageProbabilities):
    pass


get_sales = SalesClient.dependency()
Sales = Annotated[SalesClient, Depends(get_sales)]
Status = Literal["open", "closed"]
ReasonCode = Annotated[str, Path(pattern=c.LOST_REASON_CODE, description="Lost reason code")]

# -- /api/v1/opportunities ----------------------------------------------------------------------------
opportunities = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"], responses=COMMON_ERRORS)


@opportunities.get(
    "", response_model=OpportunityPage, summary="List opportunities visible to you, newest first"
)
async def list_opportunities(
    service: Sales,
    customer_id: str | None = Query(None, min_length=1, max_length=64),
    stage: str | None = Query(
        None,
        min_length=1,
        max_length=20,
        description="Stage code or its Chinese label (e.g. `demo`, `产品演示`)",
    ),
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    team: str | None = Query(None, min_length=1, max_length=64, description="Team id"),
    status: Status | None = Query(None, description="`open` (a funnel stage) or `closed` (won or lost)"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("opportunities:read")),
) -> JSONResponse:
    filters: dict[str, Any] = {}
    for key, value in (
        ("customer_id", customer_id),
        ("stage", stage),
        ("owner_id", me_or(user.id, owner)),
        ("team_id", team),
        ("status", status),
    ):
        if value is not None:
            filters[key] = value
    return JSONResponse(await service.list_opportunities(user.caller, filters, cursor, limit))


routes = CrudRoutes(opportunities, get_sales, "opportunities", OpportunityOut)
routes.create(
    "",
    OpportunityCreate,
    name="create_opportunity",
    summary="Create an opportunity (starts at qualification / 需求确认)",
    make=lambda s, caller, data: s.create_opportunity(caller, data),
    location="/api/v1/opportunities/{id}",
)
routes.get(
    "/{opportunity_id}",
    "opportunity_id",
    name="get_opportunity",
    summary="Get an opportunity with its stage history",
    fetch=lambda s, caller, record_id: s.get_opportunity(caller, record_id),
)
routes.update(
    "/{opportunity_id}",
    "opportunity_id",
    OpportunityUpdate,
    name="update_opportunity",
    summary="Change an opportunity's fields (not the stage; optimistic concurrency: If-Match or `version`)",
    save=lambda s, caller, record_id, changes, version: s.update_opportunity(
        caller, record_id, changes, version
    ),
)
routes.delete(
    "/{opportunity_id}",
    "opportunity_id",
    name="delete_opportunity",
    summary="Delete an opportunity entered by mistake (not once quoted or won)",
    remove=lambda s, caller, record_id, version: s.delete_opportunity(caller, record_id, version),
)


@opportunities.post(
    "/{opportunity_id}/stage",
    response_model=OpportunityOut,
    summary="Move an opportunity to another stage (advancing needs amount and close date; lost a reason)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def change_stage(
    opportunity_id: RecordId,
    body: StageMove,
    service: Sales,
    if_match: IfMatch = None,
    user: UserRecord = Depends(requires("opportunities:write")),
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    record = await service.change_stage(
        user.caller, opportunity_id, body.stage, body.lost_reason, body.lost_note, version
    )
    return record_response(record)


# -- the managed lists ------------------------------------------------------------------------------
lost_reasons = APIRouter(prefix="/api/v1/lost-reasons", tags=["opportunities"], responses=COMMON_ERRORS)


@lost_reasons.get(
    "", response_model=LostReasonPage, summary="Reasons an opportunity may be lost for", responses=NOT_FOUND
)
async def list_lost_reasons(
    service: Sales,
    include_retired: bool = Query(False, description="Also the reasons no longer offered"),
    user: UserRecord = Depends(requires("opportunities:read")),
) -> JSONResponse:
    return JSONResponse(await service.list_lost_reasons(user.caller, include_retired))


@lost_reasons.post(
    "",
    response_model=LostReasonOut,
    status_code=201,
    summary="Add a lost reason (admins)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def add_lost_reason(
    body: LostReasonCreate,
    service: Sales,
    user: UserRecord = Depends(requires("opportunities:write")),
) -> JSONResponse:
    record = await service.add_lost_reason(user.caller, body.model_dump(mode="json", exclude_none=True))
    return JSONResponse(record, status_code=201)


@lost_reasons.patch(
    "/{code}",
    response_model=LostReasonOut,
    summary="Relabel, reorder, retire (`active: false`) or restore a lost reason (admins)",
    responses=NOT_FOUND,
)
async def update_lost_reason(
    code: ReasonCode,
    body: LostReasonUpdate,
    service: Sales,
    user: UserRecord = Depends(requires("opportunities:write")),
) -> JSONResponse:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return JSONResponse(await service.update_lost_reason(user.caller, code, changes))


stage_settings = APIRouter(prefix="/api/v1/stage-settings", tags=["opportunities"], responses=COMMON_ERRORS)


@stage_settings.get(
    "",
    response_model=list[StageSettingOut],
    summary="The funnel's stages with their win probability (weighted forecast)",
    responses=NOT_FOUND,
)
async def get_stage_settings(
    service: Sales, user: UserRecord = Depends(requires("opportunities:read"))
) -> JSONResponse:
    return JSONResponse(await service.get_stage_settings(user.caller))


@stage_settings.put(
    "",
    response_model=list[StageSettingOut],
    summary="Set open stages' win probabilities in percent (admins)",
    responses=NOT_FOUND,
)
async def set_stage_probabilities(
    body: StageProbabilities,
    service: Sales,
    user: UserRecord = Depends(requires("opportunities:write")),
) -> JSONResponse:
    return JSONResponse(await service.set_stage_probabilities(user.caller, body.probabilities))


ROUTERS: tuple[APIRouter, ...] = (opportunities, lost_reasons, stage_settings)
