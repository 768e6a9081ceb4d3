"""The service desk in the gateway: tickets, SLA, surveys."""

from __future__ import annotations

from pathlib import Path

from service_desk.contracts import SERVICE

from gateway.services import NavLink, ServiceModule
from gateway.services.service_desk import api_surveys, capabilities, web_surveys

MODULE = ServiceModule(
    name=SERVICE,
    label="客服服务",
    api=(*api_surveys.ROUTERS,),
    web=(*web_surveys.ROUTERS,),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.service_desk.fake:FakeServiceDeskService",
    nav=(NavLink("surveys", "/surveys", "满意度 Surveys", capability="surveys:read"),),
)
