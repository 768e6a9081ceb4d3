"""/api/v1 routes of the sales service's leads area.

- ``POST /api/v1/leads`` (201, ``Idempotency-Key``), ``GET`` list (cursor paging) and one,
  ``PATCH`` (If-Match);
- ``POST /api/v1/leads:bulk`` ``{rows: [...]}`` → **200** ``{created, rejected, results: [{index,
  ok, id?, status?, owner_id?, errors?}]}``: every row is judged on its own, so a batch of only bad
  rows is still a 200 naming each row's reasons; a body that is not ``{rows: [...]}`` is 422,
  unparseable JSON 400 (the gateway's rule for every route);
- ``POST /api/v1/leads/{id}/claim``, ``/assign`` ``{owner_id}``, ``/release`` ``{reason?}``,
  ``/follow-ups`` ``{note}``, ``/disqualify`` ``{reason}``, ``/convert`` ``{company_name?,
  tax_id?, customer_id?, force?}`` (If-Match optional on each);
- ``POST /api/v1/leads:assign-from-pool`` ``{team_id?, limit?}``;
- ``/api/v1/lead-assignment-rules`` (GET, POST) and ``/{rule_id}`` (PATCH, DELETE).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sales.contracts import leads as c

from gateway.api.concurrency import expected_version, record_response
from gateway.api.crud import CrudRoutes
from gateway.api.deps import Once, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId, me_or
from gateway.api.schemas.common import Page, RequestModel, ResponseModel, Versioned
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.sales.client_leads import LeadsRpc

get_leads = LeadsRpc.dependency()
Leads = Annotated[LeadsRpc, Depends(get_leads)]
Reader = Annotated[UserRecord, Depends(requires("leads:read"))]
Writer = Annotated[UserRecord, Depends(requires("leads:write"))]
ERRORS = {**NOT_FOUND, **CONFLICT}


# -- bodies (fields, choices and limits from sales.contracts.leads) -------------------------------
class LeadCreate(c.LeadCreate):
    pass


class LeadUpdate(Versioned, c.LeadUpdate):
    pass


class LeadConvert(c.LeadConvert):
    pass


class LeadAssignTo(c.LeadAssignTo):
    pass


class LeadNote(c.LeadNote):
    pass


class LeadReason(c.LeadReason):
    pass


class LeadDisqualify(c.LeadDisqualify):
    pass


class LeadBulkCreate(RequestModel):
    rows: list[Any] = Field(
        min_length=1,
        max_length=c.BULK_MAX_ROWS,
        description="Leads shaped like the body of `POST /api/v1/leads`; each is checked on its own",
    )


class PoolAssign(c.PoolAssign):
    pass


class RuleCreate(c.RuleCreate):
    pass


class RuleUpdate(Versioned, c.RuleUpdate):
    pass


class LeadOut(ResponseModel, c.Lead):
    follow_ups: list[c.LeadFollowUp] | None = Field(
        default=None, description="Its notes, newest first (`GET /api/v1/leads/{id}` only)"
    )
    conversion: dict[str, Any] | None = Field(
        default=None,
        description="After `convert`: `{customer_id, linked, contact_id, follow_up_id}` "
        "(`linked`: an existing customer was found and linked instead of creating one)",
    )


class LeadPage(ResponseModel, Page[LeadOut]):
    pass


class LeadBulkOut(ResponseModel, c.BulkResult):
    pass


class RuleOut(ResponseModel, c.AssignmentRule):
    pass


class RulePage(ResponseModel, Page[RuleOut]):
    pass


class PoolAssignOut(ResponseModel):
    assigned: int
    lead_ids: list[str]
    left_in_pool: int


# -- /api/v1/leads --------------------------------------------------------------------------------------
leads = APIRouter(prefix="/api/v1", tags=["leads"], responses=COMMON_ERRORS)


@leads.get(
    "/leads", response_model=LeadPage, summary="List leads visible to you (yours, your team's, the pool)"
)
async def list_leads(
    service: Leads,
    user: Reader,
    status: c.LeadStatus | None = Query(None),
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    grade: c.LeadGrade | None = Query(None),
    source: c.LeadSource | None = Query(None),
    pool: bool | None = Query(None, description="true: only the pool; false: only leads with an owner"),
    team_id: str | None = Query(None, min_length=1, max_length=64),
    customer_id: str | None = Query(None, min_length=1, max_length=64),
    q: str | None = Query(None, min_length=1, max_length=200, description="Company name contains"),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    filters: dict[str, Any] = {}
    for key, value in (
        ("status", status),
        ("owner_id", me_or(user.id, owner)),
        ("grade", grade),
        ("source", source),
        ("pool", pool),
        ("team_id", team_id),
        ("customer_id", customer_id),
        ("q", q),
    ):
        if value is not None:
            filters[key] = value
    return JSONResponse(await service.list_leads(user.caller, filters, cursor, limit))


lead_routes = CrudRoutes(leads, get_leads, "leads", LeadOut)
lead_routes.create(
    "/leads",
    LeadCreate,
    name="create_lead",
    summary="Create a lead (yours, dealt by your team's rules, or into the pool)",
    make=lambda s, caller, data: s.create_lead(caller, data),
    location="/api/v1/leads/{id}",
)


@leads.post(
    "/leads:bulk",
    response_model=LeadBulkOut,
    summary="Create many leads: good rows are kept, bad rows come back with their reasons",
    responses=ERRORS,
)
async def create_leads(body: LeadBulkCreate, service: Leads, user: Writer, once: Once) -> JSONResponse:
    async def write() -> JSONResponse:
        return JSONResponse(await service.create_leads(user.caller, body.rows))

    return await once.run(user.id, write)  # type: ignore[return-value]


@leads.post(
    "/leads:assign-from-pool",
    response_model=PoolAssignOut,
    summary="Deal your team's pooled leads out by its assignment rules (managers, admins)",
    responses=ERRORS,
)
async def assign_from_pool(body: PoolAssign, service: Leads, user: Writer) -> JSONResponse:
    return JSONResponse(await service.assign_from_pool(user.caller, body.team_id, body.limit))


lead_routes.get(
    "/leads/{lead_id}",
    "lead_id",
    name="get_lead",
    summary="Get a lead (with its follow-up notes)",
    fetch=lambda s, caller, record_id: s.get_lead(caller, record_id),
)
lead_routes.update(
    "/leads/{lead_id}",
    "lead_id",
    LeadUpdate,
    name="update_lead",
    summary="Change a lead (optimistic concurrency: If-Match or `version`)",
    save=lambda s, caller, record_id, changes, version: s.update_lead(caller, record_id, changes, version),
)


@leads.post(
    "/leads/{lead_id}/claim", response_model=LeadOut, summary="Take a lead from the pool", responses=ERRORS
)
async def claim_lead(
    lead_id: RecordId, service: Leads, user: Writer, if_match: IfMatch = None
) -> JSONResponse:
    return record_response(await service.claim_lead(user.caller, lead_id, expected_version(if_match, None)))


@leads.post(
    "/leads/{lead_id}/assign",
    response_model=LeadOut,
    summary="Give a lead to a member of your team (managers, admins)",
    responses=ERRORS,
)
async def assign_lead(
    lead_id: RecordId, body: LeadAssignTo, service: Leads, user: Writer, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.assign_lead(user.caller, lead_id, body.owner_id, version))


@leads.post(
    "/leads/{lead_id}/release",
    response_model=LeadOut,
    summary="Put a lead back in the pool",
    responses=ERRORS,
)
async def release_lead(
    lead_id: RecordId, service: Leads, user: Writer, body: LeadReason | None = None, if_match: IfMatch = None
) -> JSONResponse:
    reason = body.reason if body is not None else None
    return record_response(
        await service.release_lead(user.caller, lead_id, reason, expected_version(if_match, None))
    )


@leads.post(
    "/leads/{lead_id}/follow-ups",
    response_model=LeadOut,
    summary="Note a follow-up (restarts the lead's recycling clock)",
    responses=ERRORS,
)
async def log_lead_follow_up(
    lead_id: RecordId, body: LeadNote, service: Leads, user: Writer, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.log_lead_follow_up(user.caller, lead_id, body.note, version))


@leads.post(
    "/leads/{lead_id}/disqualify", response_model=LeadOut, summary="Mark a lead invalid", responses=ERRORS
)
async def disqualify_lead(
    lead_id: RecordId, body: LeadDisqualify, service: Leads, user: Writer, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, None)
    return record_response(await service.disqualify_lead(user.caller, lead_id, body.reason, version))


@leads.post(
    "/leads/{lead_id}/convert",
    response_model=LeadOut,
    summary="Convert a lead into a customer (links the existing customer when there is one)",
    responses=ERRORS,
)
async def convert_lead(
    lead_id: RecordId, service: Leads, user: Writer, body: LeadConvert | None = None, if_match: IfMatch = None
) -> JSONResponse:
    data = body.model_dump(mode="json", exclude_none=True) if body is not None else {}
    return record_response(
        await service.convert_lead(user.caller, lead_id, data, expected_version(if_match, None))
    )


# -- /api/v1/lead-assignment-rules ---------------------------------------------------------------------
rules = APIRouter(prefix="/api/v1/lead-assignment-rules", tags=["leads"], responses=COMMON_ERRORS)


@rules.get(
    "", response_model=RulePage, summary="Assignment rules of your team (admins: any)", responses=NOT_FOUND
)
async def list_rules(
    service: Leads, user: Reader, team_id: str | None = Query(None, min_length=1, max_length=64)
) -> JSONResponse:
    return JSONResponse(await service.list_assignment_rules(user.caller, team_id))


@rules.post("", response_model=RuleOut, status_code=201, summary="Add an assignment rule", responses=ERRORS)
async def create_rule(body: RuleCreate, service: Leads, user: Writer, once: Once) -> JSONResponse:
    async def write() -> JSONResponse:
        data = body.model_dump(mode="json", exclude_none=True)
        rule = await service.create_assignment_rule(user.caller, data)
        return record_response(rule, 201, f"/api/v1/lead-assignment-rules/{rule.get('id')}")

    return await once.run(user.id, write)  # type: ignore[return-value]


@rules.patch("/{rule_id}", response_model=RuleOut, summary="Change an assignment rule", responses=ERRORS)
async def update_rule(
    rule_id: RecordId, body: RuleUpdate, service: Leads, user: Writer, if_match: IfMatch = None
) -> JSONResponse:
    version = expected_version(if_match, body.version)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
    return record_response(await service.update_assignment_rule(user.caller, rule_id, changes, version))


@rules.delete(
    "/{rule_id}",
    status_code=204,
    response_class=Response,
    summary="Remove an assignment rule",
    responses=ERRORS,
)
async def delete_rule(rule_id: RecordId, service: Leads, user: Writer) -> Response:
    await service.delete_assignment_rule(user.caller, rule_id)
    return Response(status_code=204)


ROUTERS: tuple[APIRouter, ...] = (leads, rules)
