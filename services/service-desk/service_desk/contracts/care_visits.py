"""Care visits (回访): for VIP and important customers, a task in the customers service for the
customer's owner, ``care_visit_after_ticket_days`` after a ticket is resolved and
``care_visit_after_order_days`` after an order is placed; one per trigger (a ticket resolved
twice still gets one).

No RPC. Event: ``care_visit.scheduled`` (the visit, with the customers-service task id).
"""

from __future__ import annotations

from typing import Literal

from kernel.kinds import SearchKind
from pydantic import BaseModel, ConfigDict

TRIGGERS: tuple[str, ...] = ("ticket_resolved", "order_placed")
Trigger = Literal["ticket_resolved", "order_placed"]
CARE_TIERS: tuple[str, ...] = ("vip", "important")
CARE_VISIT_SCHEDULED = "care_visit.scheduled"
TITLE_PREFIX = "回访："


class CareVisit(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    trigger: str
    trigger_id: str
    customer_id: str
    due_on: str
    task_id: str | None = None
    title: str
    version: int


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {CARE_VISIT_SCHEDULED: CareVisit}
SEARCH_KINDS: tuple[SearchKind, ...] = ()
