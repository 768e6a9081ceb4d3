"""The service desk in the gateway: tickets, SLA, surveys."""

from __future__ import annotations

from pathlib import Path

from service_desk.contracts import SERVICE

from gateway.services import CustomerTab, NavLink, ServiceModule
from gateway.services.service_desk import api_surveys, api_tickets, capabilities, web_surveys, web_tickets

MODULE = ServiceModule(
    name=SERVICE,
    label="客服服务",
    api=(*api_surveys.ROUTERS, *api_tickets.ROUTERS),
    web=(*web_surveys.ROUTERS, *web_tickets.ROUTERS),
    templates=Path(__file__).resolve().parent / "templates",
    capabilities=capabilities.CAPABILITIES,
    fake="gateway.services.service_desk.fake:FakeServiceDeskService",
    seed="gateway.services.service_desk.seed:seed",
    customer_tabs=(
        CustomerTab(
            "tickets", "工单 Tickets", "tickets:read", "tickets_customer_tab.html", web_tickets.customer_tab
        ),
    ),
    nav=(
        NavLink("tickets", "/tickets", "工单 Tickets", capability="tickets:read"),
        NavLink("surveys", "/surveys", "满意度 Surveys", capability="surveys:read"),
    ),
)
