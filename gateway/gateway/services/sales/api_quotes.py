"""/api/v1 routes of the sales service's quotes area (issue 9 §7): quotes on an opportunity, their
versions and the approval flow, the PDF of an approved version, lists and the approval inbox."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response
from sales.contracts import quotes as c

from gateway.api.crud import CrudRoutes
from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND
from gateway.services.sales.client_quotes import QuotesRpc

get_quotes = QuotesRpc.dependency()
Quotes = Annotated[QuotesRpc, Depends(get_quotes)]
VersionNumber = Annotated[int, Path(ge=1, le=100_000, description="Version number (1, 2, …)")]
PDF_MEDIA_TYPE = "application/pdf"


class QuoteLineIn(c.QuoteLineIn):
    pass


class QuoteCreate(c.QuoteBody):
    """A quote's version: currency, valid-until date, line items (and notes)."""


class QuoteDecision(c.QuoteDecision):
    pass


class QuoteVersionOut(ResponseModel, c.QuoteVersion):
    pass


class QuoteOut(ResponseModel, c.Quote):
    versions: list[QuoteVersionOut]  # type: ignore[assignment]  # the REST shape of each version


class QuoteVersionPage(ResponseModel, Page[QuoteVersionOut]):
    pass


class ReminderOut(ResponseModel, c.Reminder):
    pass


class ReminderPage(ResponseModel, Page[ReminderOut]):
    pass


# -- creating quotes and versions --------------------------------------------------------------------
on_opportunity = APIRouter(prefix="/api/v1", tags=["quotes"], responses=COMMON_ERRORS)
CrudRoutes(on_opportunity, get_quotes, "quotes", QuoteVersionOut).create(
    "/opportunities/{opportunity_id}/quotes",
    QuoteCreate,
    name="create_quote",
    summary="Create a quote on an opportunity: its version 1, a draft",
    make=lambda s, caller, data, opportunity_id: s.create_quote(caller, opportunity_id, data),
    location="/api/v1/quotes/{id}",
    path_ids=("opportunity_id",),
)

quotes = APIRouter(prefix="/api/v1/quotes", tags=["quotes"], responses=COMMON_ERRORS)
CrudRoutes(quotes, get_quotes, "quotes", QuoteVersionOut).create(
    "/{quote_id}/versions",
    QuoteCreate,
    name="add_quote_version",
    summary="Revise a quote: its next version, a draft",
    make=lambda s, caller, data, quote_id: s.add_quote_version(caller, quote_id, data),
    location="/api/v1/quotes/{id}",
    path_ids=("quote_id",),
)


@quotes.get(
    "", response_model=QuoteVersionPage, summary="List quotes visible to you (current version of each)"
)
async def list_quotes(
    service: Quotes,
    customer_id: str | None = Query(None, min_length=1, max_length=64),
    opportunity_id: str | None = Query(None, min_length=1, max_length=64),
    status: c.QuoteStatus | None = Query(None),
    final_only: bool | None = Query(None, description="Only quotes with a final version (that version)"),
    all_versions: bool | None = Query(None, description="Every version instead of each quote's current one"),
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("quotes:read")),
) -> JSONResponse:
    filters: dict[str, Any] = {
        key: value
        for key, value in (
            ("customer_id", customer_id),
            ("opportunity_id", opportunity_id),
            ("status", status),
            ("final_only", final_only),
            ("all_versions", all_versions),
        )
        if value is not None
    }
    return JSONResponse(await service.list_quotes(user.caller, filters, cursor, limit))


@quotes.get(
    "/{quote_id}", response_model=QuoteOut, summary="A quote with all its versions", responses=NOT_FOUND
)
async def get_quote(
    quote_id: RecordId, service: Quotes, user: UserRecord = Depends(requires("quotes:read"))
) -> JSONResponse:
    return JSONResponse(await service.get_quote(user.caller, quote_id))


@quotes.get(
    "/{quote_id}/versions/{n}",
    response_model=QuoteVersionOut,
    summary="One version of a quote",
    responses=NOT_FOUND,
)
async def get_quote_version(
    quote_id: RecordId, n: VersionNumber, service: Quotes, user: UserRecord = Depends(requires("quotes:read"))
) -> JSONResponse:
    return JSONResponse(await service.get_quote_version(user.caller, quote_id, n))


@quotes.put(
    "/{quote_id}/versions/{n}",
    response_model=QuoteVersionOut,
    summary="Replace a draft version's content (a submitted version never changes)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_quote_version(
    quote_id: RecordId,
    n: VersionNumber,
    body: QuoteCreate,
    service: Quotes,
    user: UserRecord = Depends(requires("quotes:write")),
) -> JSONResponse:
    data = body.model_dump(mode="json", exclude_none=True)
    return JSONResponse(await service.update_quote_version(user.caller, quote_id, n, data))


# -- the approval flow ---------------------------------------------------------------------------------
def _action(path: str, name: str, summary: str, capability: str, run: Any, *, body: bool = False) -> None:
    responses = {**NOT_FOUND, **CONFLICT}
    if body:

        async def with_comment(
            quote_id: RecordId,
            n: VersionNumber,
            service: Quotes,
            decision: QuoteDecision | None = None,
            user: UserRecord = Depends(requires(capability)),
        ) -> JSONResponse:
            comment = decision.comment if decision is not None else None
            return JSONResponse(await run(service, user.caller, quote_id, n, comment))

        endpoint: Any = with_comment
    else:

        async def plain(
            quote_id: RecordId,
            n: VersionNumber,
            service: Quotes,
            user: UserRecord = Depends(requires(capability)),
        ) -> JSONResponse:
            return JSONResponse(await run(service, user.caller, quote_id, n))

        endpoint = plain
    endpoint.__name__ = name
    quotes.add_api_route(
        f"/{{quote_id}}/versions/{{n}}/{path}",
        endpoint,
        methods=["POST"],
        name=name,
        summary=summary,
        response_model=QuoteVersionOut,
        responses=responses,
    )


_action(
    "submit",
    "submit_quote_version",
    "Submit a draft (approved at once when its discounts are within the threshold)",
    "quotes:write",
    lambda s, caller, q, n: s.submit_quote_version(caller, q, n),
)
_action(
    "approve",
    "approve_quote_version",
    "Approve a version waiting for approval (team manager, admin; never its owner)",
    "quotes:approve",
    lambda s, caller, q, n, comment: s.approve_quote_version(caller, q, n, comment),
    body=True,
)
_action(
    "reject",
    "reject_quote_version",
    "Reject a version waiting for approval; `comment` says why (required)",
    "quotes:approve",
    lambda s, caller, q, n, comment: s.reject_quote_version(caller, q, n, comment),
    body=True,
)
_action(
    "mark-final",
    "mark_quote_version_final",
    "Mark an approved or sent version final (the previous final one is un-flagged)",
    "quotes:write",
    lambda s, caller, q, n: s.mark_quote_version_final(caller, q, n),
)
_action(
    "sent",
    "mark_quote_version_sent",
    "Record that an approved version was sent to the customer",
    "quotes:write",
    lambda s, caller, q, n: s.mark_quote_version_sent(caller, q, n),
)


# -- the PDF ---------------------------------------------------------------------------------------------
def pdf_response(pdf: dict[str, Any], *, download: bool, headers: dict[str, str] | None = None) -> Response:
    filename = str(pdf["filename"])
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "")
    disposition = "attachment" if download else "inline"
    disposition += f"; filename=\"{ascii_name}\"; filename*=UTF-8''{url_quote(filename)}"
    return Response(
        base64.b64decode(pdf["content_b64"]),
        media_type=PDF_MEDIA_TYPE,
        headers={
            "Content-Disposition": disposition,
            "ETag": f'"{pdf["sha256"]}"',
            "X-Content-Type-Options": "nosniff",
            **(headers or {}),
        },
    )


@quotes.get(
    "/{quote_id}/versions/{n}/pdf",
    summary="The PDF of an approved or sent version",
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}, "description": "The quote as a PDF"}, **NOT_FOUND},
)
async def get_quote_pdf(
    quote_id: RecordId,
    n: VersionNumber,
    service: Quotes,
    download: bool = Query(False, description="As an attachment (else inline)"),
    user: UserRecord = Depends(requires("quotes:read")),
) -> Response:
    return pdf_response(await service.get_quote_pdf(user.caller, quote_id, n), download=download)


# -- inboxes ---------------------------------------------------------------------------------------------
inbox = APIRouter(prefix="/api/v1", tags=["quotes"], responses=COMMON_ERRORS)


@inbox.get("/approvals", response_model=QuoteVersionPage, summary="Quote versions waiting for your approval")
async def list_pending_approvals(
    service: Quotes,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("quotes:approve")),
) -> JSONResponse:
    return JSONResponse(await service.list_pending_approvals(user.caller, cursor, limit))


@inbox.get("/reminders", response_model=ReminderPage, summary="Your reminders (quotes about to expire)")
async def list_my_reminders(
    service: Quotes,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("quotes:read")),
) -> JSONResponse:
    return JSONResponse(await service.list_my_reminders(user.caller, cursor, limit))


ROUTERS: tuple[APIRouter, ...] = (on_opportunity, quotes, inbox)
