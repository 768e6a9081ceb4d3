"""The identity contract: the gateway owns users and publishes ``user.upserted`` on ``identity.events``.

Every change of a user (created, renamed, moved to another team, roles, (de)activated) commits a
``user.upserted`` event carrying the user's full directory state and its version, through the
gateway's outbox. Services keep a replica of that state and apply versions in order (consumed
with ``kernel.event_handlers.idempotent_event_handler``), so a late or repeated event never
undoes a newer one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kernel.consumer import PoisonEvent
from kernel.envelope import Envelope, make_event

IDENTITY_SOURCE = "identity"  # exchange "identity.events"
USER_AGGREGATE = "user"
USER_UPSERTED = "user.upserted"


class UserState(BaseModel):
    """``data`` of ``user.upserted``: what services may know about a user (no secrets)."""

    model_config = ConfigDict(extra="ignore")  # the producer may add fields before consumers read them
    id: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    display_name: str | None = Field(default=None, max_length=100)
    team_id: str | None = Field(default=None, max_length=64)
    roles: list[str]
    active: bool
    version: int = Field(ge=1)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {USER_UPSERTED: UserState}


def user_upserted(state: dict[str, Any], *, actor_id: str, correlation_id: str | None = None) -> Envelope:
    user = UserState.model_validate(state)
    return make_event(
        type=USER_UPSERTED,
        source=IDENTITY_SOURCE,
        aggregate_type=USER_AGGREGATE,
        aggregate_id=user.id,
        version=user.version,
        actor_id=actor_id,
        correlation_id=correlation_id,
        data=user.model_dump(mode="json"),
    )


def user_state_of(event: Envelope) -> UserState:
    """The state an event carries, checked against the contract (its version is the envelope's)."""
    user = UserState.model_validate(event.data)
    if user.id != event.aggregate.id or user.version != event.aggregate.version:
        raise PoisonEvent("user.upserted data disagrees with its aggregate id/version")
    return user
