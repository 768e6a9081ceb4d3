"""What every area of the finance contract shares: the service name, money, ownership."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SERVICE = "finance"
EVENTS_EXCHANGE = "finance.events"

# ISO 4217 codes; amounts are integers in the currency's minor unit (分 for CNY), never floats.
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MinorAmount = Annotated[int, Field(ge=0, le=10**15)]
DEFAULT_CURRENCY = "CNY"

# Days past due → bucket (the aging report's columns and the overdue events' steps).
OverdueBucket = Literal["1-30", "31-60", "61-90", "90+"]
OVERDUE_BUCKETS: tuple[str, ...] = get_args(OverdueBucket)
ReceivableStatus = Literal["open", "partially_paid", "paid", "written_off", "cancelled"]
RECEIVABLE_STATUSES: tuple[str, ...] = get_args(ReceivableStatus)
RiskLevel = Literal["none", "low", "medium", "high"]
RISK_LEVELS: tuple[str, ...] = get_args(RiskLevel)


class Owned(BaseModel):
    """Ownership every finance record carries (its read policy needs nothing else): the order's
    seller and team, and the customer's owner (a seller sees their customers' receivables)."""

    model_config = ConfigDict(extra="allow")  # producers may add fields before consumers read them
    id: str
    customer_id: str
    customer_name: str | None = None
    customer_owner_id: str | None = None
    owner_id: str | None = None
    team_id: str | None = None
    version: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Tombstone(BaseModel):
    id: str
    deleted: bool = True
    version: int
    customer_id: str | None = None
