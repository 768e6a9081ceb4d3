"""One package per backing service: what the gateway knows of it, registered by one call.

A package ``gateway/gateway/services/<svc>/`` holds the service's client (``client.py``, typed
stubs on ``rpc_client.ServiceClient``), REST routes (``api.py``, mostly ``api.crud.CrudRoutes``),
REST bodies derived from ``<svc>.contracts`` (``schemas.py``), web pages (``web*.py``), their
templates (``templates/``), UI labels and a test fake (``fake.py``), and exports them as one
``MODULE = ServiceModule(...)``. ``gateway.services.installed.INSTALLED`` lists the modules;
``create_app`` registers each with ``register(app, module)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from gateway.auth.permissions import add_capabilities
from gateway.web.labels import add_labels
from gateway.web.templating import add_template_globals, add_templates


@dataclass(frozen=True)
class NavLink:
    key: str  # pages set ``nav`` to this to be highlighted; data-testid="nav-<key>"
    href: str
    label: str
    capability: str | None = None  # shown only to users who have it


@dataclass(frozen=True)
class CustomerTab:
    """A tab another service adds to the customer page (``/customers/{id}?tab=<key>``): the
    customer 360° view shows every service's records of the customer without the customers
    package knowing them."""

    key: str  # ?tab=<key>; data-testid="tab-<key>"
    label: str
    capability: str  # shown (and loaded) only for users who have it
    template: str  # partial included in the customer page, with the context ``load`` returns
    # (request, user, customer_id) -> the partial's context; RPC errors propagate as on any page
    load: Callable[[Request, Any, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ServiceModule:
    name: str  # the service's registry (nameko) name
    label: str  # shown in the "service unavailable" banner
    api: tuple[APIRouter, ...] = ()  # /api/v1 routes (in the OpenAPI document)
    web: tuple[APIRouter, ...] = ()  # UI pages and form posts
    templates: Path | None = None  # Jinja2 templates of the pages
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # UI labels of its codes
    template_globals: dict[str, Any] = field(default_factory=dict)  # e.g. choices from its contracts
    nav: tuple[NavLink, ...] = ()  # entries of the main menu
    fake: str = ""  # "module:Class" of its in-memory stand-in for the gateway's unit tests
    # "module:function" of its demo data for ``seed-demo``: ``async def seed(rpc, users, report)``,
    # run in registry order after the customer book exists; idempotent.
    seed: str = ""
    # Coarse capabilities its routes check (``requires("quotes:approve")``) → the roles holding
    # them; added to ``gateway.auth.permissions.CAPABILITIES`` (deny by default).
    capabilities: dict[str, frozenset[str]] = field(default_factory=dict)
    customer_tabs: tuple[CustomerTab, ...] = ()  # tabs on the customer page, in order


RESERVED_TABS = ("overview", "audit")  # the customer page's own tabs


def customer_tabs(app: FastAPI) -> dict[str, CustomerTab]:
    return getattr(app.state, "customer_tabs", {})


def register(app: FastAPI, module: ServiceModule) -> None:
    """Serve a service package's routes, pages, templates and labels."""
    for router in module.api + module.web:
        app.include_router(router)
    if module.templates is not None:
        add_templates(module.templates)
    add_capabilities(module.capabilities)
    add_labels(module.labels)
    add_template_globals(module.template_globals, module.nav)
    tabs: dict[str, CustomerTab] = getattr(app.state, "customer_tabs", {})
    for tab in module.customer_tabs:
        if tab.key in tabs or tab.key in RESERVED_TABS:
            raise ValueError(f"customer tab {tab.key!r} is registered twice")
        tabs[tab.key] = tab
    app.state.customer_tabs = tabs
    labels: dict[str, str] = getattr(app.state, "service_labels", {})
    app.state.service_labels = {**labels, module.name: module.label}
