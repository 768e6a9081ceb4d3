"""The ``service_desk`` service as the gateway calls it: one stub class per area, joined here."""

from __future__ import annotations

from service_desk.contracts import SERVICE

from gateway.services.service_desk.client_surveys import SurveysRpc
from gateway.services.service_desk.client_tickets import TicketsRpc


class ServiceDeskClient(TicketsRpc, SurveysRpc):
    service_name = SERVICE
