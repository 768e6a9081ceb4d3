"""Which route templates a concrete path belongs to, for requests answered without routing
(405 Allow lists, metric labels for 413s). FastAPI 0.165 nests included routers, so the
public ``iter_route_contexts`` is what flattens them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path


@dataclass(frozen=True)
class RouteEntry:
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str]


def route_table(app: FastAPI) -> list[RouteEntry]:
    cached: list[RouteEntry] | None = getattr(app.state, "route_table", None)
    if cached is not None:
        return cached
    entries = []
    for context in iter_route_contexts(app.routes):
        template = context.path
        if not template:
            continue
        methods = frozenset(context.methods or ())
        # A mount (static files) serves everything below its path.
        pattern, _, _ = compile_path(template if methods else template.rstrip("/") + "/{path:path}")
        entries.append(RouteEntry(template, pattern, methods))
    app.state.route_table = entries
    return entries


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Methods of the most specific templates matching ``path``: ``/customers/transfer`` is the
    transfer action (POST), not a customer whose id happens to be "transfer"."""
    matches = [entry for entry in route_table(app) if entry.pattern.match(path) and entry.methods]
    if not matches:
        return set()
    fewest = min(entry.template.count("{") for entry in matches)
    return {m for entry in matches if entry.template.count("{") == fewest for m in entry.methods}


def template_for(app: FastAPI, path: str) -> str | None:
    return next((entry.template for entry in route_table(app) if entry.pattern.match(path)), None)
