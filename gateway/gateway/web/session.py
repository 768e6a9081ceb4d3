"""The browser session: the same JWT as the API, naming its session, in an HttpOnly SameSite=Lax
cookie. Over https the cookie is ``__Host-`` prefixed, which browsers accept only with Secure,
Path=/ and no Domain - so no sibling subdomain can plant or overwrite it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from kernel.clock import utcnow
from kernel.ids import new_id
from starlette.responses import Response

from gateway.api.deps import app_settings, get_directory, get_revocations, get_tokens, resolve_token
from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord
from gateway.auth.sessions import SessionRevocations
from gateway.auth.tokens import InvalidToken, TokenIssuer
from gateway.errors import Unauthenticated
from gateway.settings import GatewaySettings

SESSION_COOKIE = "panorama_session"
# How long past a token's expiry its revocation is kept (the verifier's clock leeway and then some).
_REVOCATION_MARGIN = timedelta(seconds=60)


def cookie_name(base: str, settings: GatewaySettings) -> str:
    return f"__Host-{base}" if settings.secure_cookies else base


class LoginRequired(Exception):
    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "login required")
        self.reason = reason


async def web_user(
    request: Request,
    directory: Directory = Depends(get_directory),
    tokens: TokenIssuer = Depends(get_tokens),
    revocations: SessionRevocations = Depends(get_revocations),
) -> UserRecord:
    token = request.cookies.get(cookie_name(SESSION_COOKIE, app_settings(request)))
    if not token:
        raise LoginRequired()
    try:
        user, claims = await resolve_token(token, directory, tokens, revocations)
    except Unauthenticated as exc:
        raise LoginRequired(exc.detail) from None
    if claims.session_id is None:
        # An API token pasted into the cookie: no session to bind the CSRF token to, no logout.
        raise LoginRequired()
    # Sliding session: past half its life the cookie is reissued, so an active user is not
    # logged out mid-work while an idle one still expires after the token TTL.
    if (utcnow() - claims.issued_at).total_seconds() > tokens.ttl_seconds / 2:
        request.state.renewed_token = tokens.issue(user.id, session_id=claims.session_id)
    request.state.user = user
    request.state.session_id = claims.session_id
    return user


def start_session(
    response: Response, user: UserRecord, tokens: TokenIssuer, settings: GatewaySettings
) -> None:
    set_session_cookie(response, tokens.issue(user.id, session_id=new_id()), settings)


def end_session(
    request: Request, response: Response, tokens: TokenIssuer, revocations: SessionRevocations
) -> None:
    """Revoke the request's session (if it has a readable one) and clear the cookie. Blocking."""
    settings = app_settings(request)
    token = request.cookies.get(cookie_name(SESSION_COOKIE, settings))
    if token:
        try:
            claims = tokens.verify(token)
        except InvalidToken:
            claims = None
        if claims is not None and claims.session_id is not None:
            # Renewals keep the session id, so the newest token of this session expires at most
            # one TTL from now: the revocation must outlive it.
            until = utcnow() + timedelta(seconds=tokens.ttl_seconds) + _REVOCATION_MARGIN
            revocations.revoke(claims.session_id, until)
    clear_session_cookie(response, settings)


def set_session_cookie(response: Response, token: str, settings: GatewaySettings) -> None:
    response.set_cookie(
        cookie_name(SESSION_COOKIE, settings),
        token,
        max_age=settings.token_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: GatewaySettings) -> None:
    response.delete_cookie(
        cookie_name(SESSION_COOKIE, settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def apply_session_cookies(request: Request, response: Response) -> None:
    """Write the renewed session token, if any, onto an outgoing response."""
    renewed = getattr(request.state, "renewed_token", None)
    if renewed:
        set_session_cookie(response, renewed, app_settings(request))


# ``user: WebUser`` in a page's signature: the logged-in user of the session cookie.
WebUser = Annotated[UserRecord, Depends(web_user)]
