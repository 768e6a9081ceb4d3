"""CSRF protection for the UI's form posts: a token bound to the browser session.

The token is an HMAC of the session id, repeated in every form (hidden field) and htmx request
(X-CSRF-Token header). A cross-site page can make the browser send the session cookie but cannot
compute the HMAC, and a token belongs to one session only: another session's token is refused,
and once the session is logged out (revoked) its token is worthless with it. Before login the
token is bound the same way to a random pre-session cookie, which keeps login CSRF out.
SameSite=Lax on the cookies already stops most of this; the token covers what Lax leaves open
(same-site subdomains, GET-turned-POST quirks).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from gateway.api.deps import app_settings
from gateway.errors import CsrfFailed
from gateway.web.session import cookie_name

PRESESSION_COOKIE = "panorama_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_PRESESSION_ID = re.compile(r"^[A-Za-z0-9_\-]{32,64}$")
_KEY_LABEL = b"panorama csrf v1"


def _sign(secret: str, binding: str) -> str:
    # A key of its own (derived from the JWT secret), so a CSRF token is never a valid JWT MAC.
    key = hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, binding.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms on this page must repeat (a pre-session is minted for anonymous visitors;
    ``set_presession_cookie`` then sends it)."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    settings = app_settings(request)
    session_id = getattr(request.state, "session_id", None)  # set by web_user once verified
    if session_id:
        binding = f"session:{session_id}"
    else:
        presession = request.cookies.get(cookie_name(PRESESSION_COOKIE, settings), "")
        if not _PRESESSION_ID.match(presession):
            presession = secrets.token_urlsafe(32)
            request.state.new_presession = presession
        binding = f"anonymous:{presession}"
    token = _sign(settings.jwt_secret, binding)
    request.state.csrf_token = token
    return token


def verify_csrf(request: Request, submitted: object) -> None:
    candidate = (
        submitted if isinstance(submitted, str) and submitted else request.headers.get(CSRF_HEADER, "")
    )
    expected = csrf_token(request)
    # A pre-session minted just now means the post came without one: nothing to be bound to.
    unbound = getattr(request.state, "new_presession", None) is not None
    if unbound or not hmac.compare_digest(expected.encode(), candidate.encode("utf-8", "replace")):
        raise CsrfFailed("this form expired or did not come from Panorama; reload the page and try again")


def set_presession_cookie(request: Request, response: Response) -> None:
    presession = getattr(request.state, "new_presession", None)
    if presession is None:
        return
    settings = app_settings(request)
    response.set_cookie(
        cookie_name(PRESESSION_COOKIE, settings),
        presession,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
