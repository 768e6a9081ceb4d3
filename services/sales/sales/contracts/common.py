"""What every area of the sales contract shares: the service name, money, ownership."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SERVICE = "sales"
EVENTS_EXCHANGE = "sales.events"

# ISO 4217 codes; amounts are integers in the currency's minor unit (分 for CNY), never floats.
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
MinorAmount = Annotated[int, Field(ge=0, le=10**15)]
DEFAULT_CURRENCY = "CNY"


class Owned(BaseModel):
    """Ownership every sales record carries (its read policy needs nothing else)."""

    model_config = ConfigDict(extra="allow")  # producers may add fields before consumers read them
    id: str
    customer_id: str | None = None
    customer_name: str | None = None
    customer_owner_id: str | None = None  # the customer's owner: "shared" with them
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
