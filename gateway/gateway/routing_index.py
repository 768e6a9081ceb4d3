"""Cheap route dispatch for an app assembled from many ``include_router`` calls.

Since 0.137 FastAPI keeps every ``include_router`` as a lazy node that the app's router asks, in
registration order, whether the request matches; a node answers by matching every route it holds
(and the chosen one matches them all again to handle the request). With ~55 routers a request
for a late route (``/healthz``, ``/api/v1/search``) spent 0.5-1 ms in routing.

A route can only match a path that starts with its template's literal text up to the first
``{``: Starlette compiles templates to anchored regexes (a template without parameters matches
only itself). So each node gets a guard, computed once from its own routes, that answers
"no match" for a path none of them could match, without asking them. Nothing else changes: the
order, first match wins, 404/405, dependencies, ``scope["route"]``, ``url_path_for`` and OpenAPI
are FastAPI's own, because a guarded node only ever skips work whose answer was Match.NONE.

This relies on FastAPI internals (``_IncludedRouter``, ``APIRouter._routes_version``), kept to
this module; ``test_routing_index`` fails if they change shape, and the guard stands aside
(always asks the routes) for any route whose compiled regex does not start with its literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter, iter_route_contexts
from starlette._utils import get_route_path  # the path Starlette's own routes match against
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_DEFAULT_FLAGS = re.compile("").flags


@dataclass(frozen=True)
class PathGuard:
    """Which paths some route of a router could match: these exactly, or anything starting with
    one of these prefixes (``("",)`` when it cannot be told: every path starts with "")."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def may_match(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)


OPEN = PathGuard(prefixes=("",))


def _literal_prefix(path_format: str) -> str:
    brace = path_format.find("{")
    return path_format if brace < 0 else path_format[:brace]


def guard_for(routes: list[BaseRoute]) -> PathGuard:
    """The guard of ``routes`` (included routers are looked into through
    ``iter_route_contexts``, which gives each route the path its inclusion gives it)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    for context in iter_route_contexts(routes):
        # Hosts match on the Host header and frontend groups by their own rules: any path may do.
        regex = getattr(context, "path_regex", None)
        path_format = getattr(context, "path_format", None)
        if not isinstance(regex, re.Pattern) or not isinstance(path_format, str):
            return OPEN
        literal = _literal_prefix(path_format)
        if regex.flags != _DEFAULT_FLAGS or not regex.pattern.startswith("^" + re.escape(literal)):
            return OPEN  # compiled some other way than Starlette's compile_path does today
        if literal == path_format and regex.pattern == "^" + re.escape(literal) + "$":
            # ``$`` also matches before a final newline, so "/healthz\n" reaches /healthz too.
            exact.update((literal, literal + "\n"))
        else:
            prefixes.add(literal)
    # A prefix already covered by a shorter one adds nothing.
    kept = tuple(p for p in sorted(prefixes) if not any(p != q and p.startswith(q) for q in prefixes))
    return PathGuard(frozenset(exact), kept)


@dataclass
class GuardedIncludedRouter(_IncludedRouter):
    """An included router that refuses, cheaply, paths none of its routes could match."""

    _guard: PathGuard = field(default=OPEN, repr=False, compare=False)
    _guard_version: int | None = field(default=None, repr=False, compare=False)
    _guard_nested: bool = field(default=False, repr=False, compare=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Runs for every router on every request: kept to a few attribute reads, one set lookup
        # and one startswith.
        kind = scope["type"]
        if kind == "http" or kind == "websocket":
            router = self.original_router
            version = router._get_routes_version() if self._guard_nested else router._routes_version
            if version != self._guard_version:
                self._rebuild_guard()
            guard = self._guard
            path = get_route_path(scope) if scope.get("root_path") else scope["path"]
            if path not in guard.exact and not path.startswith(guard.prefixes):
                return Match.NONE, {}
        return super().matches(scope)

    def _rebuild_guard(self) -> None:
        # Routes were added (to this router or one it includes) since the guard was made.
        router = self.original_router
        nested = any(isinstance(route, _IncludedRouter) for route in router.routes)
        # A flat router's own counter is its version (including a router bumps it too); a nested
        # one's is FastAPI's walk over the routers below, too slow to run for every router.
        version = router._get_routes_version() if nested else router._routes_version
        self._guard = guard_for([self])
        self._guard_nested = nested
        self._guard_version = version


def guard_included_routers(app: FastAPI) -> int:
    """Swap each router ``app.include_router`` added for a guarded one (same router, same
    inclusion settings, same place in the order); returns how many were guarded."""
    routes = app.router.routes
    guarded = 0
    for index, route in enumerate(routes):
        if type(route) is _IncludedRouter:
            routes[index] = GuardedIncludedRouter(
                original_router=route.original_router, include_context=route.include_context
            )
            guarded += 1
    return guarded
