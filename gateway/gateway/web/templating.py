"""Jinja2 environment, filters (time zones, labels, snippets) and the one page renderer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import FileSystemLoader
from starlette.requests import Request
from starlette.responses import Response

from gateway.api.deps import app_settings
from gateway.auth.permissions import allowed
from gateway.auth.records import UserRecord
from gateway.kinds import SEARCH_KINDS
from gateway.service_health import ServiceHealth
from gateway.web.csrf import csrf_token, set_presession_cookie
from gateway.web.labels import label
from gateway.web.sanitize import safe_snippet
from gateway.web.session import apply_session_cookies

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def add_templates(directory: Path) -> None:
    """Templates of a service package; the gateway's own (``base.html``, macros) come first."""
    loader = templates.env.loader
    assert isinstance(loader, FileSystemLoader)
    if str(directory) not in loader.searchpath:
        loader.searchpath.append(str(directory))


def parse_moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "Asia/Shanghai")
    except Exception:  # a bad zone in a profile must not break every page
        return ZoneInfo("Asia/Shanghai")


def localtime(value: Any, tz: str | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = parse_moment(value)
    if moment is None:
        return "—" if not value else str(value)
    return moment.astimezone(_zone(tz)).strftime(fmt)


def localdate(value: Any, tz: str | None = None) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10:
        return value
    return localtime(value, tz, "%Y-%m-%d")


def is_past(value: Any) -> bool:
    moment = parse_moment(value)
    return moment is not None and moment < datetime.now(UTC)


def record_href(kind: str | None, record_id: str | None, customer_id: str | None) -> str:
    """Where a search hit opens: the link its owning service publishes for that kind."""
    search_kind = SEARCH_KINDS.get(kind or "")
    if search_kind is not None:
        return search_kind.href(record_id, customer_id)
    # A kind this gateway does not know yet (a newer search during a deploy): its customer's page.
    return f"/customers/{quote(customer_id, safe='')}" if customer_id else "#"


def local_input_value(value: Any, tz: str | None) -> str:
    """A moment as the value of an <input type="datetime-local"> in the user's zone."""
    moment = parse_moment(value) or datetime.now(UTC)
    return moment.astimezone(_zone(tz)).strftime("%Y-%m-%dT%H:%M")


templates.env.filters.update(
    localtime=localtime, localdate=localdate, label=label, snippet=safe_snippet, is_past=is_past
)
templates.env.globals.update(
    local_input_value=local_input_value, label=label, record_href=record_href, nav_links=[]
)


def add_template_globals(values: dict[str, Any], nav: Iterable[Any] = ()) -> None:
    """A service package's template globals and main-menu entries (``NavLink``s, in order)."""
    templates.env.globals.update(values)
    links = templates.env.globals["nav_links"]
    assert isinstance(links, list)
    links.extend(link for link in nav if link not in links)


# Pages load only our own script and styles (htmx is vendored), so a strict policy costs nothing
# and turns any injection that slips past escaping into a no-op.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def unavailable_services(request: Request) -> list[dict[str, str]]:
    """Display names of the services the gateway last found down (the page banner names them)."""
    health: ServiceHealth | None = getattr(request.app.state, "service_health", None)
    if health is None:
        return []
    settings = app_settings(request)
    # Registered under their registry names; a test may run a copy under another name.
    labels: dict[str, str] = getattr(request.app.state, "service_labels", {})
    names = {getattr(settings, f"{name}_service", name): label for name, label in labels.items()}
    return [{"name": service, "label": names.get(service, service)} for service in health.down()]


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    user: UserRecord | None = getattr(request.state, "user", None)
    settings = app_settings(request)
    ctx: dict[str, Any] = {
        "user": user,
        "tz": user.timezone if user else settings.default_timezone,
        "csrf_token": csrf_token(request),
        "can": (lambda capability: user is not None and allowed(user, capability)),
        "environment": settings.environment,
        "unavailable_services": unavailable_services(request) if user is not None else [],
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
    set_presession_cookie(request, response)
    apply_session_cookies(request, response)
    return response
