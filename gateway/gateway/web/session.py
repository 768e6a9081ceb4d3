"""The browser session: the same JWT as the API, in an HttpOnly SameSite=Lax cookie."""

from __future__ import annotations

from fastapi import Depends, Request
from kernel.clock import utcnow
from starlette.responses import Response

from gateway.api.deps import app_settings, get_directory, get_tokens, resolve_token
from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord
from gateway.auth.tokens import TokenIssuer
from gateway.errors import Unauthenticated
from gateway.settings import GatewaySettings

SESSION_COOKIE = "panorama_session"


class LoginRequired(Exception):
    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "login required")
        self.reason = reason


async def web_user(
    request: Request,
    directory: Directory = Depends(get_directory),
    tokens: TokenIssuer = Depends(get_tokens),
) -> UserRecord:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    try:
        user, claims = await resolve_token(token, directory, tokens)
    except Unauthenticated as exc:
        raise LoginRequired(exc.detail) from None
    # Sliding session: past half its life the cookie is reissued, so an active user is not
    # logged out mid-work while an idle one still expires after the token TTL.
    if (utcnow() - claims.issued_at).total_seconds() > tokens.ttl_seconds / 2:
        request.state.renewed_token = tokens.issue(user.id)
    request.state.user = user
    return user


def set_session_cookie(response: Response, token: str, settings: GatewaySettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def apply_session_cookies(request: Request, response: Response) -> None:
    """Write the renewed session token, if any, onto an outgoing response."""
    renewed = getattr(request.state, "renewed_token", None)
    if renewed:
        set_session_cookie(response, renewed, app_settings(request))
