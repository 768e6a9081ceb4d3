"""The search service in the gateway: /api/v1/search and the search pages."""

from __future__ import annotations

from pathlib import Path

from gateway.services import ServiceModule
from gateway.services.search import api, web
from gateway.services.search.client import SERVICE

MODULE = ServiceModule(
    name=SERVICE,
    label="搜索服务",
    api=api.ROUTERS,
    web=(web.router,),
    templates=Path(__file__).resolve().parent / "templates",
    fake="gateway.services.search.fake:FakeSearchService",
)
