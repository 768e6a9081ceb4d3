"""/api/v1/search: one box across every kind of record, filtered by what you may see."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from kernel.errors import ValidationError

from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, me_or
from gateway.auth.records import UserRecord
from gateway.kinds import SEARCH_KINDS
from gateway.problems import COMMON_ERRORS
from gateway.services.search.client import SearchClient
from gateway.services.search.schemas import SearchResults, SuggestionList

get_search = SearchClient.dependency()
Search = Annotated[SearchClient, Depends(get_search)]
router = APIRouter(prefix="/api/v1/search", tags=["search"], responses=COMMON_ERRORS)
# The kinds the registered services publish, as an enum in the API document: an unknown kind is a
# 422 naming `kind`, not a silently empty page.
KindName = StrEnum("KindName", {name: name for name in SEARCH_KINDS})  # type: ignore[misc]
Kind = Query(None, max_length=len(SEARCH_KINDS), description="Restrict to these kinds (repeatable)")


# Dates as plain YYYY-MM-DD: pydantic would also take "1.5" (a Unix timestamp) for a date.
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _day(field: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError.for_field(field, "is not a calendar date (YYYY-MM-DD)") from None


@router.get("", response_model=SearchResults, summary="Search everything (highlights; facets on request)")
async def search(
    request: Request,
    client: Search,
    q: str = Query(min_length=1, max_length=200, description="Words, a phone number, an email..."),
    kind: list[KindName] | None = Kind,
    owner: str | None = Query(None, min_length=1, max_length=64, description="Owner user id, or `me`"),
    date_from: str | None = Query(None, pattern=DAY, description="YYYY-MM-DD"),
    date_to: str | None = Query(None, pattern=DAY, description="YYYY-MM-DD"),
    limit: int = Query(20, ge=1, le=100),
    cursor: Cursor = None,
    facets: bool = Query(
        False,
        description="Count the hits per kind (`facets.kind`); left out unless asked, since counting "
        "every kind costs more than the page itself",
    ),
    user: UserRecord = Depends(requires("search")),
) -> JSONResponse:
    # A scalar given twice would silently mean its last value; an empty kind, no kind at all.
    if len(request.query_params.getlist("owner")) > 1:
        raise ValidationError.for_field("owner", "give one owner")
    kinds = [k.value for k in kind] if kind else None
    result = await client.search(
        user.caller,
        q,
        kinds=kinds,
        owner_id=me_or(user.id, owner),
        date_from=_day("date_from", date_from),
        date_to=_day("date_to", date_to),
        limit=limit,
        cursor=cursor,
        facets=facets,
    )
    return JSONResponse(result)


@router.get("/suggest", response_model=SuggestionList, summary="Type-ahead suggestions")
async def suggest(
    client: Search,
    q: str = Query(min_length=1, max_length=100),
    limit: int = Query(8, ge=1, le=20),
    user: UserRecord = Depends(requires("search")),
) -> JSONResponse:
    return JSONResponse({"items": await client.suggest(user.caller, q, limit)})


ROUTERS = (router,)
