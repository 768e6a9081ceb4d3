"""What every area of the service-desk contract shares: the service name, the ticket choices."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

SERVICE = "service_desk"
EVENTS_EXCHANGE = "service_desk.events"

Channel = Literal["phone", "email", "web", "wechat"]
Category = Literal["consultation", "fault", "complaint", "request"]
Priority = Literal["P1", "P2", "P3", "P4"]
TicketStatus = Literal["new", "in_progress", "waiting_on_customer", "resolved", "closed"]
Visibility = Literal["internal", "external"]
CHANNELS: tuple[str, ...] = get_args(Channel)
CATEGORIES: tuple[str, ...] = get_args(Category)
PRIORITIES: tuple[str, ...] = get_args(Priority)
TICKET_STATUSES: tuple[str, ...] = get_args(TicketStatus)
VISIBILITIES: tuple[str, ...] = get_args(Visibility)


class CustomerOwned(BaseModel):
    """What every service-desk record carries for its read policy: the customer's owner and
    team (sales see their customers' tickets; their manager the team's)."""

    model_config = ConfigDict(extra="allow")  # producers may add fields before consumers read them
    id: str
    customer_id: str
    customer_name: str | None = None
    customer_owner_id: str | None = None
    customer_team_id: str | None = None
    version: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Tombstone(BaseModel):
    id: str
    deleted: bool = True
    version: int
    customer_id: str | None = None
