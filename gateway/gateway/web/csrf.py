"""Double-submit CSRF protection for the UI's form posts.

The token lives in a cookie and is repeated in every form (hidden field) and htmx request
(X-CSRF-Token header). A cross-site page can make the browser send the cookie but cannot read it
to repeat it, so a post without the matching copy is forged. SameSite=Lax on the session cookie
already stops most of this; the token covers what Lax leaves open (same-site subdomains, GET-
turned-POST quirks) and login CSRF.
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request

from gateway.errors import CsrfFailed

CSRF_COOKIE = "panorama_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{32,64}$")


def csrf_token(request: Request) -> str:
    """This browser's token (minted on first use; the renderer then sets the cookie)."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    token = request.cookies.get(CSRF_COOKIE, "")
    if not _TOKEN.match(token):
        token = secrets.token_urlsafe(32)
        request.state.csrf_token_is_new = True
    request.state.csrf_token = token
    return token


def verify_csrf(request: Request, submitted: object) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    candidate = (
        submitted if isinstance(submitted, str) and submitted else request.headers.get(CSRF_HEADER, "")
    )
    if not cookie or not _TOKEN.match(cookie) or not secrets.compare_digest(cookie, candidate):
        raise CsrfFailed("this form expired or did not come from Panorama; reload the page and try again")
