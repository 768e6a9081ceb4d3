"""The service desk in the gateway: tickets, SLA, surveys."""

from __future__ import annotations

from pathlib import Path

from service_desk.contracts import SERVICE

from gateway.services import ServiceModule
from gateway.services.service_desk import capabilities

MODULE = ServiceModule(
    name=SERVICE,
    label="客服服务",
    api=(),
    web=(),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.service_desk.fake:FakeServiceDeskService",
)
