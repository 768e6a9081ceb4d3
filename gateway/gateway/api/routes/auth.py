"""OAuth2 password flow and the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request

from gateway.api.deps import current_user, get_directory, get_settings, get_throttle, get_tokens
from gateway.api.schemas.identity import MeOut, TokenOut, UserOut
from gateway.auth.directory import Directory
from gateway.auth.login import login
from gateway.auth.records import UserRecord
from gateway.auth.throttle import LoginThrottle
from gateway.auth.tokens import TokenIssuer
from gateway.problems import COMMON_ERRORS, TOO_MANY
from gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=COMMON_ERRORS)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/auth/token",
    response_model=TokenOut,
    summary="Log in (OAuth2 password flow) and get a bearer token",
    responses=TOO_MANY,
)
def issue_token(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=128)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    directory: Directory = Depends(get_directory),
    throttle: LoginThrottle = Depends(get_throttle),
    tokens: TokenIssuer = Depends(get_tokens),
    settings: GatewaySettings = Depends(get_settings),
) -> TokenOut:
    user = login(directory, throttle, username, password, client_address(request))
    return TokenOut(access_token=tokens.issue(user.id), expires_in=settings.token_ttl_seconds)


@router.get("/me", response_model=MeOut, summary="Who am I")
def me(user: UserRecord = Depends(current_user), directory: Directory = Depends(get_directory)) -> MeOut:
    team = directory.get_team(user.team_id) if user.team_id else None
    return MeOut(**UserOut.of(user).model_dump(), team_name=team.name if team else None)
