"""Surveys and what follows a resolution (handlers in ``service_desk.handlers.surveys``,
``.resolutions``, ``.care_visits``).

``survey_for_token`` and ``answer_survey`` are the public calls of the survey page. They keep the
house RPC entrypoint (a signed identity is still required: nobody on the broker without the
identity key can call them), but they need no particular one: the gateway calls them as the
rolesless ``survey-page`` identity, which every read policy refuses, and the signed token in the
link is what authorises the one survey it names.
"""

from __future__ import annotations

from typing import Any

from kernel.entrypoints import rpc
from kernel.envelope import Envelope
from kernel.event_handlers import idempotent_event_handler

from service_desk.contracts.common import SERVICE
from service_desk.contracts.tickets import TICKET_RESOLVED
from service_desk.handlers import resolutions, surveys
from service_desk.storage.models import consumer
from service_desk.storage.unit import ServiceDeskUnit

# sales.contracts.deals publishes it; named here so this service needs only the event's shape
SALES, ORDER_PLACED = "sales", "order.placed"


class SurveyEntrypoints:
    units: Any  # the service's Units[ServiceDeskUnit]

    survey_for_token = rpc(surveys.survey_for_token)
    answer_survey = rpc(surveys.answer_survey)
    get_ticket_survey = rpc(surveys.get_ticket_survey)
    survey_results = rpc(surveys.survey_results)

    @idempotent_event_handler(SERVICE, TICKET_RESOLVED, tables=consumer)
    def on_ticket_resolved(self, unit: ServiceDeskUnit, event: Envelope) -> None:
        resolutions.ticket_resolved(unit, event)

    @idempotent_event_handler(SALES, ORDER_PLACED, tables=consumer)
    def on_order_placed(self, unit: ServiceDeskUnit, event: Envelope) -> None:
        resolutions.order_placed(unit, event)
