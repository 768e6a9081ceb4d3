"""Notifications of the service desk: SLA near-breach and breach, told once to each person.

Near-breach (80 % of a clock's business time used) goes to the assignee, or to the support
team's managers while the ticket is unassigned; a breach to them and to the team's managers.

RPC (``caller`` first):
    list_notifications(caller, unread_only=False, cursor=None, limit=None) -> Page[Notification]
        the caller's own, newest first
    mark_notification_read(caller, notification_id) -> Notification   (NotFound: not yours)
"""

from __future__ import annotations

from kernel.kinds import SearchKind
from pydantic import BaseModel

SLA_NEAR_BREACH_KIND = "sla_near_breach"
SLA_BREACHED_KIND = "sla_breached"


class Notification(BaseModel):
    id: str
    kind: str
    subject_id: str
    customer_id: str | None = None
    message: str
    data: dict[str, object] = {}
    created_at: str
    read_at: str | None = None


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {}
SEARCH_KINDS: tuple[SearchKind, ...] = ()
