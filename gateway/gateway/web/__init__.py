"""The web UI: Jinja2 pages with htmx (vendored), served by the gateway itself, no build step."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.context import get_correlation_id
from gateway.web import routes_admin, routes_auth
from gateway.web.session import LoginRequired
from gateway.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent / "static"

_HEADINGS = {
    400: "请求有误 Bad request",
    401: "请先登录 Please log in",
    403: "没有权限 Not allowed",
    404: "找不到 Not found",
    405: "不支持的操作 Not allowed",
    409: "数据已变化 Conflict",
    413: "内容太大 Too large",
    422: "输入有误 Invalid input",
    429: "操作太频繁 Too many requests",
    500: "出错了 Something went wrong",
    502: "服务出错 Service error",
    503: "服务暂不可用 Service unavailable",
    504: "服务超时 Service timeout",
}


async def render_html_error(
    request: Request,
    status: int,
    title: str,
    detail: str | None,
    errors: list[dict[str, Any]],
    headers: dict[str, str],
) -> Response:
    context = {
        "status": status,
        "heading": _HEADINGS.get(status, f"错误 Error {status}"),
        "title": title,
        "detail": detail,
        "errors": errors,
        "correlation_id": get_correlation_id(),
    }
    if request.headers.get("hx-request") == "true":
        # 200 so htmx swaps the message in place of the section it was refreshing.
        return render(request, "partials/error_fragment.html", context, headers=headers)
    return render(request, "error.html", context, status_code=status, headers=headers)


async def on_login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": "/login"})
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(routes_auth.router)
    app.include_router(routes_admin.router)
    app.state.html_error_renderer = render_html_error
    app.add_exception_handler(LoginRequired, on_login_required)
