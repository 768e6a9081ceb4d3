"""/api/v1 routes of the service desk's surveys and notifications.

    GET  /api/v1/surveys/results?group_by=agent|team|month&since=&until=
    GET  /api/v1/tickets/{id}/survey          the ticket's survey; ``url`` (the link to send the
                                              customer) for support while it can be answered
    GET  /api/v1/service-desk/notifications?unread=&cursor=&limit=   your SLA notifications
    POST /api/v1/service-desk/notifications/{id}/read

Answering a survey has no REST route: it is the customer's, through the public web page
``/survey/{token}`` (no login), whose token is the only authority.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from kernel.errors import ValidationError
from service_desk.contracts import notifications as n
from service_desk.contracts import surveys as c

from gateway.api.deps import CurrentUser, Settings, requires
from gateway.api.routes._params import Cursor, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, NOT_FOUND
from gateway.services.service_desk.client import ServiceDeskClient

get_service_desk = ServiceDeskClient.dependency()
ServiceDesk = Annotated[ServiceDeskClient, Depends(get_service_desk)]


class SurveyOut(ResponseModel, c.Survey):
    url: str | None = None  # the absolute link to send, when ``link`` is given


class SurveyResultsOut(ResponseModel, c.SurveyResults):
    pass


class NotificationOut(ResponseModel, n.Notification):
    pass


class NotificationPage(ResponseModel, Page[NotificationOut]):
    pass


DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def day(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD query value (a strict pattern: pydantic's date would take "0" as 1970-01-01)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.for_field(field, "must be a date YYYY-MM-DD") from None


def survey_out(survey: dict[str, Any], public_url: str) -> dict[str, Any]:
    link = survey.get("link")
    return {**survey, "url": f"{public_url.rstrip('/')}{link}" if link else None}


async def ask_results(
    service: ServiceDeskClient, user: UserRecord, group_by: str, since: date | None, until: date | None
) -> dict[str, Any]:
    if since is not None and until is not None and since > until:
        raise ValidationError.for_field("since", "must not be after `until`")
    result: dict[str, Any] = await service.survey_results(
        user.caller,
        group_by,
        since.isoformat() if since else None,
        until.isoformat() if until else None,
    )
    return result


surveys = APIRouter(prefix="/api/v1/surveys", tags=["surveys"], responses=COMMON_ERRORS)


@surveys.get(
    "/results",
    response_model=SurveyResultsOut,
    summary="Satisfaction results per agent, team or month",
    description=(
        "Over the surveys **sent** in `[since, until]` (dates in the business time zone, both "
        "included): how many were sent and answered, the average score (decimal text, two "
        "places), the 1–5 distribution and the response rate (decimal fraction as text); `null` "
        "when there is nothing to divide. Support leads (support + manager), managers and admins."
    ),
)
async def survey_results(
    service: ServiceDesk,
    group_by: Literal["agent", "team", "month"] = Query("agent", description="Group by"),
    since: str | None = Query(None, pattern=DAY, description="First day, YYYY-MM-DD"),
    until: str | None = Query(None, pattern=DAY, description="Last day, YYYY-MM-DD, included"),
    user: UserRecord = Depends(requires("surveys:read")),
) -> JSONResponse:
    result = await ask_results(service, user, group_by, day(since, "since"), day(until, "until"))
    return JSONResponse(c.SurveyResults.model_validate(result).model_dump(mode="json"))


ticket_survey = APIRouter(prefix="/api/v1/tickets", tags=["surveys"], responses=COMMON_ERRORS)


@ticket_survey.get(
    "/{ticket_id}/survey",
    response_model=SurveyOut,
    summary="The ticket's satisfaction survey (and, for support, the link to send)",
    description=(
        "Sent when the ticket is resolved. `url` is the signed public link (no login) while the "
        "survey can still be answered, for support to send the customer; `null` once answered "
        "or expired, and for read-only readers. 404 before the ticket was resolved."
    ),
    responses=NOT_FOUND,
)
async def get_ticket_survey(
    ticket_id: RecordId,
    service: ServiceDesk,
    settings: Settings,
    user: UserRecord = Depends(requires("tickets:read")),
) -> JSONResponse:
    survey = await service.get_ticket_survey(user.caller, ticket_id)
    return JSONResponse(survey_out(survey, settings.public_url))


notifications = APIRouter(
    prefix="/api/v1/service-desk/notifications", tags=["service desk notifications"], responses=COMMON_ERRORS
)


@notifications.get("", response_model=NotificationPage, summary="Your SLA notifications, newest first")
async def list_notifications(
    service: ServiceDesk,
    user: CurrentUser,
    unread: bool = Query(False, description="Only those not marked read"),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JSONResponse:
    return JSONResponse(await service.list_notifications(user.caller, unread, cursor, limit))


@notifications.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    summary="Mark one of your notifications read",
    responses=NOT_FOUND,
)
async def mark_notification_read(
    notification_id: RecordId, service: ServiceDesk, user: CurrentUser
) -> JSONResponse:
    return JSONResponse(await service.mark_notification_read(user.caller, notification_id))


ROUTERS: tuple[APIRouter, ...] = (surveys, ticket_survey, notifications)
