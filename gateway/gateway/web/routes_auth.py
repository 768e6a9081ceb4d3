"""Login and logout pages."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import get_directory, get_revocations, get_settings, get_throttle, get_tokens
from gateway.auth.directory import Directory
from gateway.auth.login import login
from gateway.auth.sessions import SessionRevocations
from gateway.auth.throttle import LoginThrottle
from gateway.auth.tokens import TokenIssuer
from gateway.errors import CsrfFailed, ServiceBusy, TooManyRequests, Unauthenticated
from gateway.settings import GatewaySettings
from gateway.web.forms import read_form
from gateway.web.session import end_session, start_session
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(value: object) -> str:
    """Only same-site paths: ``//evil.example`` or ``https://...`` would make login an open redirect."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if len(value) > 500 or any(ch in value for ch in "\r\n"):
        return "/"
    return value


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login")
async def login_submit(
    request: Request,
    directory: Directory = Depends(get_directory),
    throttle: LoginThrottle = Depends(get_throttle),
    tokens: TokenIssuer = Depends(get_tokens),
    settings: GatewaySettings = Depends(get_settings),
) -> Response:
    context: dict[str, object] = {"next": "/"}
    try:
        values = await read_form(request)
        username = values.get("username", "")[:64]
        context.update(next=safe_next(values.get("next")), username=username)
        address = request.client.host if request.client else "unknown"
        user = await run_in_threadpool(
            login, directory, throttle, username, values.get("password", "")[:128], address
        )
    except CsrfFailed as exc:
        return render(
            request,
            "login.html",
            {**context, "error": "页面已过期，请重新登录。" + exc.detail},
            status_code=403,
        )
    except TooManyRequests as exc:
        message = f"登录失败次数过多，请 {exc.retry_after} 秒后再试。Too many failed logins."
        return render(
            request, "login.html", {**context, "error": message}, status_code=429, headers=exc.headers
        )
    except ServiceBusy as exc:
        message = f"登录人数过多，请 {exc.retry_after} 秒后再试。Too many logins at once; try again shortly."
        return render(
            request, "login.html", {**context, "error": message}, status_code=503, headers=exc.headers
        )
    except Unauthenticated as exc:
        message = "用户名或密码错误，或账号已停用。Wrong username or password."
        return render(
            request, "login.html", {**context, "error": message}, status_code=401, headers=exc.headers
        )
    response = RedirectResponse(str(context["next"]), status_code=303)
    start_session(response, user, tokens, settings)
    return response


@router.post("/logout")
async def logout(
    request: Request,
    tokens: TokenIssuer = Depends(get_tokens),
    revocations: SessionRevocations = Depends(get_revocations),
) -> Response:
    # Logging out is harmless: a forged logout only costs a login, so a stale form still works.
    with contextlib.suppress(CsrfFailed):
        await read_form(request)
    response = RedirectResponse("/login", status_code=303)
    # Server-side: the session's cookie and CSRF token stop working everywhere, not just here.
    await run_in_threadpool(end_session, request, response, tokens, revocations)
    return response
