"""The routing guard (gateway.routing_index) changes how fast a route is found, never which.

Every route template of the app, with its parameters filled in with plain values and with the
literal segments of sibling templates (``/customers/transfer`` vs ``/customers/{id}``), under every
method, plus trailing slashes, 404s and odd paths, is sent through the app with and without the
guard: the same route (the very same object), path parameters, status, Allow and Location must come
back. Then a spy shows the guard really skips the routers that cannot match, and a canary fails if
the FastAPI internals the guard leans on change shape.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import gateway.main
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import _IncludedRouter, iter_route_contexts
from fastapi.testclient import TestClient
from gateway.api.deps import get_rpc
from gateway.routing_index import OPEN, GuardedIncludedRouter, PathGuard, guard_for, guard_included_routers
from gateway.settings import GatewaySettings
from gateway_fakes import FakeRpc, MemoryUserStore
from starlette.routing import Host, Match, Mount
from starlette.types import Message

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def build(settings: GatewaySettings, *, guarded: bool, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    with monkeypatch.context() as patch:
        if not guarded:
            patch.setattr(gateway.main, "guard_included_routers", lambda app: 0)
        app = gateway.main.create_app(settings, rpc=FakeRpc(), store=MemoryUserStore())
    app.dependency_overrides[get_rpc] = lambda: app.state.rpc
    return app


@pytest.fixture
def apps(settings: GatewaySettings, monkeypatch: pytest.MonkeyPatch) -> tuple[FastAPI, FastAPI]:
    return (
        build(settings, guarded=True, monkeypatch=monkeypatch),
        build(settings, guarded=False, monkeypatch=monkeypatch),
    )


def templates(app: FastAPI) -> list[str]:
    return sorted({c.path_format for c in iter_route_contexts(app.routes) if c.path_format})


def probe_requests(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, root_path) for every template: parameters filled with a plain value and
    with each literal segment another template has at the same place (the ambiguous requests),
    under every method; near misses (trailing slash or newline, longer, deeper) under two."""
    formats = templates(app)
    paths = {"/", "//", "/nope", "/api/v1/nope", "/api/v1/customers/a/b/c/d", "/static/favicon.svg"}
    near: set[str] = set()
    for template in formats:
        filled = PARAM.sub("p1", template)
        paths.add(filled)
        near.update((filled + "/", filled + "\n", filled + "x", filled.rstrip("/") + "/more"))
        for param in PARAM.finditer(template):
            literal = template[: param.start()]
            rest = template[param.end() :]
            for other in formats:
                if other != template and other.startswith(literal):
                    segment = other[len(literal) :].split("/", 1)[0]
                    if segment and "{" not in segment:
                        paths.add(PARAM.sub("p1", literal + segment + rest))
    requests = [(method, path, "") for path in sorted(paths) for method in METHODS]
    requests += [(method, path, "") for path in sorted(near - paths) for method in ("GET", "POST")]
    # Behind a proxy prefix routes match the path below it (Starlette's get_route_path).
    requests += [(m, p, "/gw") for p in ("/healthz", "/metrics", "/api/v1/search", "/gw") for m in METHODS]
    return requests


def describe(thing: Any) -> Any:
    """A route or endpoint, comparable across two apps: most are the same objects in both (the
    routers are module singletons), a few are made per app (the docs pages)."""
    if thing is None:
        return None
    endpoint = getattr(thing, "endpoint", thing)
    return (
        type(thing).__name__,
        getattr(thing, "path", None),
        getattr(thing, "name", None),
        frozenset(getattr(thing, "methods", None) or ()),
        f"{endpoint.__module__}.{getattr(endpoint, '__qualname__', type(endpoint).__qualname__)}",
    )


async def dispatch(app: FastAPI, method: str, path: str, root_path: str = "") -> tuple[Any, ...]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }
    start: dict[str, Any] = {}
    requested = False
    done = asyncio.Event()

    async def receive() -> Message:
        # An empty body, then (like a server) a disconnect only once the response is complete.
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    headers = dict(start.get("headers", []))
    return (
        describe(scope.get("route")),
        describe(scope.get("endpoint")),
        scope.get("path_params"),
        start.get("status"),
        headers.get(b"allow"),
        headers.get(b"location"),
    )


def outcomes(app: FastAPI, requests: list[tuple[str, str, str]]) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        return [await dispatch(app, method, path, root) for method, path, root in requests]

    return asyncio.run(run())


def test_every_route_and_method_dispatches_as_without_the_guard(apps: tuple[FastAPI, FastAPI]) -> None:
    guarded, plain = apps
    requests = probe_requests(plain)
    assert len(templates(plain)) > 150 and ("POST", "/api/v1/customers/transfer", "") in requests

    expected = outcomes(plain, requests)
    actual = outcomes(guarded, requests)

    mismatches = [
        (req, want, got) for req, want, got in zip(requests, expected, actual, strict=True) if want != got
    ]
    assert mismatches == []
    # The probes cover what they claim: every route reached by some request, 404s, 405s (with
    # Allow), slash redirects, dependencies run (401 from the auth dependency).
    statuses = {outcome[3] for outcome in expected}
    assert {200, 401, 404, 405, 307} <= statuses
    assert any(outcome[4] for outcome in expected)
    # (Starlette's own routes and mounts, /openapi.json and /static, leave only their endpoint.)
    routed = {outcome[0] or outcome[1] for outcome in expected if outcome[0] or outcome[1]}
    assert len(routed) == len(list(iter_route_contexts(plain.routes)))


def test_ambiguous_paths_go_to_the_first_registered_route(apps: tuple[FastAPI, FastAPI]) -> None:
    guarded, _ = apps
    [(transfer, *_), (customer, _, params, *_), (nope, _, _, status, *_)] = outcomes(
        guarded,
        [
            ("POST", "/api/v1/customers/transfer", ""),
            ("GET", "/api/v1/customers/c1", ""),
            ("GET", "/api/v1/nope", ""),
        ],
    )
    assert transfer[1] == "/api/v1/customers/transfer"
    assert customer[1] == "/api/v1/customers/{customer_id}" and params == {"customer_id": "c1"}
    assert nope is None and status == 404


def test_openapi_and_url_building_are_unchanged(apps: tuple[FastAPI, FastAPI]) -> None:
    guarded, plain = apps
    assert guarded.openapi() == plain.openapi()
    for context in iter_route_contexts(plain.routes):
        if context.name and context.path_format and "{path}" not in context.path_format:
            params = {name: "p1" for name in PARAM.findall(context.path_format)}
            assert guarded.url_path_for(context.name, **params) == plain.url_path_for(context.name, **params)


def spy_on_routers(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each included router was asked to match its routes (by its first route)."""
    asked: dict[str, int] = {}
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter):
            router = route.original_router
            name = next(iter_route_contexts([route])).path_format or "?"

            def counting(scope: Any, _matches: Callable[..., Any] = router.matches, _name: str = name) -> Any:
                asked[_name] = asked.get(_name, 0) + 1
                return _matches(scope)

            monkeypatch.setattr(router, "matches", counting)
    return asked


def test_a_late_route_asks_only_the_routers_that_could_hold_it(
    apps: tuple[FastAPI, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded, plain = apps
    asked = spy_on_routers(plain, monkeypatch)
    outcomes(plain, [("GET", "/metrics", "")])
    assert len(asked) > 50  # without the guard every router before /metrics' one is asked

    asked.clear()
    [(route, *_)] = outcomes(guarded, [("GET", "/metrics", "")])
    assert route[1] == "/metrics"
    # No other router at all (handling re-matches inside the chosen router, not through matches).
    assert asked == {"/healthz": 1}

    asked.clear()
    outcomes(guarded, [("GET", "/api/v1/customers/c1/contacts", "")])
    assert set(asked) == {"/api/v1/customers", "/api/v1/customers/{customer_id}/contacts"}


def test_every_included_router_of_the_gateway_is_guarded(apps: tuple[FastAPI, FastAPI]) -> None:
    """Canary for a FastAPI upgrade: include_router must still store ``_IncludedRouter`` nodes that
    the guard replaces, and every router must get a real guard (not OPEN, which would mean the
    compiled route regexes no longer start with their literal text)."""
    guarded, plain = apps
    included = [r for r in plain.router.routes if type(r) is _IncludedRouter]
    assert len(included) > 50
    nodes = [r for r in guarded.router.routes if isinstance(r, GuardedIncludedRouter)]
    assert len(nodes) == len(included)
    assert not any(type(r) is _IncludedRouter for r in guarded.router.routes)
    for node in nodes:
        node.matches({"type": "http", "method": "GET", "path": "/", "root_path": ""})
        assert node._guard != OPEN and node._guard_version == node.original_router._routes_version


def test_fastapi_internals_the_guard_relies_on() -> None:
    router = APIRouter()
    before = router._routes_version
    router.add_api_route("/a", lambda: None)
    assert router._routes_version > before  # the guard's cue to rebuild
    app = FastAPI()
    app.include_router(router)
    [node] = app.router.routes[-1:]
    assert type(node) is _IncludedRouter
    assert node.original_router is router and node.include_context is not None
    scope = {"type": "http", "method": "GET", "path": "/a", "root_path": ""}
    assert node.matches(scope)[0] == Match.FULL


def test_routes_added_after_the_guard_are_still_found() -> None:
    child = APIRouter()
    parent = APIRouter(prefix="/p")
    router = APIRouter()
    router.add_api_route("/first", lambda: "first")
    app = FastAPI()
    app.include_router(router)
    app.include_router(parent)
    assert guard_included_routers(app) == 2
    with TestClient(app) as client:
        assert client.get("/first").json() == "first"
        assert client.get("/late").status_code == 404
        router.add_api_route("/late", lambda: "late")
        assert client.get("/late").json() == "late"
        parent.include_router(child)
        child.add_api_route("/deep/{x}", lambda x: x)  # below a router included below the guard
        assert client.get("/p/deep/yes").json() == "yes"
        child.add_api_route("/deeper", lambda: "deeper")
        assert client.get("/p/deeper").json() == "deeper"


def test_guard_of_literal_parametrised_mounted_and_host_routes() -> None:
    router = APIRouter()
    router.add_api_route("/", lambda: None)
    router.add_api_route("/customers/{customer_id}/edit", lambda customer_id: None)
    router.add_api_route("/customers/transfer", lambda: None, methods=["POST"])
    router.add_api_route("/customers/{customer_id}", lambda customer_id: None)
    router.routes.append(Mount("/static", app=FastAPI()))
    guard = guard_for(router.routes)
    assert guard == PathGuard(
        frozenset({"/", "/\n", "/customers/transfer", "/customers/transfer\n"}), ("/customers/", "/static/")
    )
    assert guard.may_match("/customers/c1") and guard.may_match("/static/app.css")
    assert not guard.may_match("/customersx") and not guard.may_match("/healthz") and not guard.may_match("")
    assert guard_for([Host("api.example.com", app=FastAPI())]) == OPEN
