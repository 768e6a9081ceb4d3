"""Survey pages: the customer's public page (no login) and support's results and ticket link.

``/survey/{token}`` is public: the signed token in the path is the authority, and the service is
called as the rolesless ``SURVEY_PAGE`` identity, never as whoever may be logged in. The form is
still CSRF-checked: the visitor gets a pre-session cookie with the page (``gateway.web.csrf``)
and the form repeats its HMAC, so another site cannot post an answer through a visitor's browser
(it would also need the token; the check keeps the page the house way and costs nothing). The
token never leaves the page: ``Referrer-Policy: no-referrer``, no caching, not indexed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from service_desk.contracts.surveys import SCORES, SURVEY_COMMENT_MAX

from gateway.api.deps import DirectoryDep, Settings
from gateway.auth.permissions import require
from gateway.errors import CsrfFailed
from gateway.services.service_desk.api_surveys import ServiceDesk, ask_results, day, survey_out
from gateway.services.service_desk.client_surveys import SURVEY_PAGE
from gateway.web.forms import form_errors, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_TOKEN_LENGTH = 512
PUBLIC_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
SCORE_LABELS = {1: "很不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, name, context, status_code=status_code, headers=PUBLIC_HEADERS)


def _invalid(request: Request) -> Response:
    return _page(request, "surveys_invalid.html", {}, status_code=404)


def _state_page(request: Request, token: str, survey: dict[str, Any]) -> Response:
    """The page for a survey that cannot be answered (any more)."""
    if survey["status"] == "answered":
        return _page(request, "surveys_answered.html", {"survey": survey})
    return _page(request, "surveys_expired.html", {"survey": survey}, status_code=410)


def _form(
    request: Request,
    token: str,
    survey: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "survey": survey,
        "token": token,
        "action": f"/survey/{quote(token, safe='')}",
        "scores": SCORES,
        "score_labels": SCORE_LABELS,
        "comment_max": SURVEY_COMMENT_MAX,
        "values": values or {},
        "errors": errors or [],
    }
    return _page(request, "surveys_form.html", context, status_code=status_code)


@router.get("/survey/{token}")
async def survey_page(request: Request, token: str, service: ServiceDesk) -> Response:
    if len(token) > MAX_TOKEN_LENGTH:
        return _invalid(request)
    try:
        survey = await service.survey_for_token(SURVEY_PAGE, token)
    except NotFound:
        return _invalid(request)
    if not survey["answerable"]:
        return _state_page(request, token, survey)
    return _form(request, token, survey)


@router.post("/survey/{token}")
async def answer(request: Request, token: str, service: ServiceDesk) -> Response:
    if len(token) > MAX_TOKEN_LENGTH:
        return _invalid(request)
    try:
        survey = await service.survey_for_token(SURVEY_PAGE, token)
    except NotFound:
        return _invalid(request)
    if not survey["answerable"]:
        return _state_page(request, token, survey)
    try:
        values = await read_form(request)
    except CsrfFailed:
        message = "页面已过期，请重新提交。This form expired; please submit it again."
        return _form(request, token, survey, errors=[{"field": "", "message": message}], status_code=403)
    raw = values.get("score", "").strip()
    score: Any = int(raw) if raw.isdigit() and len(raw) < 3 else raw or None
    comment = values.get("comment", "").strip() or None
    try:
        await service.answer_survey(SURVEY_PAGE, token, score, comment)
    except ValidationError as exc:
        return _form(request, token, survey, values=values, errors=form_errors(exc), status_code=422)
    except Conflict:  # answered or expired since the page was loaded
        return _state_page(request, token, await service.survey_for_token(SURVEY_PAGE, token))
    return RedirectResponse(f"/survey/{quote(token, safe='')}/thanks", status_code=303)


@router.get("/survey/{token}/thanks")
async def thanks(request: Request, token: str, service: ServiceDesk) -> Response:
    if len(token) > MAX_TOKEN_LENGTH:
        return _invalid(request)
    try:
        survey = await service.survey_for_token(SURVEY_PAGE, token)
    except NotFound:
        return _invalid(request)
    if survey["status"] != "answered":
        return RedirectResponse(f"/survey/{quote(token, safe='')}", status_code=303)
    return _page(request, "surveys_thanks.html", {"survey": survey, "score_labels": SCORE_LABELS})


# -- support's side --------------------------------------------------------------------------------
@router.get("/surveys")
async def results_page(
    request: Request,
    user: WebUser,
    service: ServiceDesk,
    directory: DirectoryDep,
    group_by: str = Query("agent", max_length=10),
    since: str | None = Query(None, max_length=10),
    until: str | None = Query(None, max_length=10),
) -> Response:
    require(user, "surveys:read")
    errors: list[dict[str, Any]] = []
    result: dict[str, Any] | None = None
    try:
        result = await ask_results(service, user, group_by, day(since, "since"), day(until, "until"))
    except (ValidationError, PermissionDenied) as exc:
        errors = form_errors(exc)
    names: dict[str, str] = {}
    if result is not None and group_by == "agent":
        names = {u.id: u.display_name for u in await run_in_threadpool(directory.list_users)}
    return render(
        request,
        "surveys_results.html",
        {
            "nav": "surveys",
            "group_by": group_by,
            "filters": {"since": since or "", "until": until or ""},
            "result": result,
            "errors": errors,
            "names": names,
            "scores": SCORES,
        },
    )


@router.get("/ui/tickets/{ticket_id}/survey")
async def ticket_survey_link(
    request: Request, ticket_id: str, user: WebUser, service: ServiceDesk, settings: Settings
) -> Response:
    """The ticket page's survey box (``surveys_ticket_link.html``), loaded with htmx."""
    require(user, "tickets:read")
    try:
        survey: dict[str, Any] | None = survey_out(
            await service.get_ticket_survey(user.caller, ticket_id), settings.public_url
        )
    except NotFound:
        survey = None
    return render(request, "surveys_ticket_link.html", {"survey": survey})


ROUTERS: tuple[APIRouter, ...] = (router,)
