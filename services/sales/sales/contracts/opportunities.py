"""Opportunities (商机) through the staged funnel.

RPC:
    create_opportunity(caller, data) -> Opportunity
    get_opportunity(caller, opportunity_id) -> Opportunity (with stage_history)
    update_opportunity(caller, opportunity_id, changes, expected_version=None) -> Opportunity
    change_stage(caller, opportunity_id, stage, lost_reason=None, lost_note=None, expected_version=None)
    list_opportunities(caller, filters=None, cursor=None, limit=50) -> Page[Opportunity]
        filters: customer_id, stage (code or label), owner_id (or "me"), team_id, status ("open" / "closed")
    delete_opportunity(caller, opportunity_id, expected_version=None) -> None  (not once quoted or won)
    list_lost_reasons(caller, include_retired=False) -> Page[LostReason]  (one page: the whole list)
    add_lost_reason(caller, data) / update_lost_reason(caller, code, changes) -> LostReason  (admin)
    get_stage_settings(caller) -> list[StageSetting]
    set_stage_probabilities(caller, probabilities: {stage: percent}) -> list[StageSetting]  (admin)

Events: opportunity.created / .updated / .stage_changed (full state), opportunity.deleted (tombstone).
Renewals: an ``order.placed`` with a service period creates one renewal opportunity per order
(``renewal_of_order_id``), due ``renewal_lead_days`` before the period ends.
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Day, Id, RequestModel
from pydantic import BaseModel, Field, StrictBool, StrictInt

from sales.contracts.common import DEFAULT_CURRENCY, Currency, MinorAmount, Owned, Tombstone

# Codes on the wire; the UI shows the Chinese names (STAGE_LABELS), which input also accepts.
Stage = Literal["qualification", "demo", "proposal", "trial", "negotiation", "won", "lost"]
STAGES: tuple[str, ...] = get_args(Stage)
OPEN_STAGES: tuple[str, ...] = STAGES[:5]
CLOSED_STAGES: tuple[str, ...] = ("won", "lost")
STAGE_LABELS: dict[str, str] = {
    "qualification": "需求确认",
    "demo": "产品演示",
    "proposal": "方案报价",
    "trial": "客户测试",
    "negotiation": "商务谈判",
    "won": "赢单",
    "lost": "输单",
}
STAGE_BY_LABEL: dict[str, str] = {label: code for code, label in STAGE_LABELS.items()}

OPPORTUNITY_CREATED = "opportunity.created"
OPPORTUNITY_UPDATED = "opportunity.updated"
OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed"
OPPORTUNITY_DELETED = "opportunity.deleted"


# Limits of the opportunity's fields (the service checks them; the REST bodies document them).
MAX_LEN: dict[str, int] = {"title": 200, "notes": 4000, "lost_note": 2000}
LOST_REASON_CODE = r"^[a-z][a-z0-9_]{1,39}$"
RENEWAL_TITLE_PREFIX = "续约: "


class Opportunity(Owned):
    title: str
    stage: str
    amount_minor: int
    currency: str
    stage_label: str | None = None
    expected_close_date: str | None = None
    lost_reason: str | None = None
    lost_note: str | None = None
    renewal_of_order_id: str | None = None


class StageChange(BaseModel):
    from_stage: str | None
    to_stage: str
    at: str
    actor_id: str
    amount_minor: int


class OpportunityDetail(Opportunity):
    stage_history: list[StageChange] = Field(default_factory=list)


class LostReason(BaseModel):
    code: str
    label: str
    active: bool
    position: int


class StageSetting(BaseModel):
    stage: str
    label: str
    position: int
    probability_pct: int


# -- request bodies ------------------------------------------------------------------------------
class OpportunityCreate(RequestModel):
    customer_id: Id
    title: str = Field(min_length=1, max_length=MAX_LEN["title"], examples=["A科技 CRM 二期"])
    amount_minor: MinorAmount = Field(default=0, description="Integer minor units (分 for CNY)")
    currency: Currency = DEFAULT_CURRENCY
    expected_close_date: Day | None = Field(default=None, description="Required to advance the stage")
    owner_id: Id | None = Field(default=None, description="Defaults to you (managers: a member of the team)")
    notes: str | None = Field(default=None, max_length=MAX_LEN["notes"])


class OpportunityUpdate(RequestModel):
    """Everything but the stage (moved only by ``POST /opportunities/{id}/stage``)."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_LEN["title"])
    amount_minor: MinorAmount | None = None
    currency: Currency | None = None
    expected_close_date: Day | None = None
    owner_id: Id | None = None
    notes: str | None = Field(default=None, max_length=MAX_LEN["notes"])


class StageMove(RequestModel):
    stage: str = Field(
        min_length=1, max_length=20, description=f"One of {', '.join(STAGES)} or its Chinese label"
    )
    lost_reason: str | None = Field(default=None, max_length=40, description="Required for lost")
    lost_note: str | None = Field(default=None, max_length=MAX_LEN["lost_note"])


class LostReasonCreate(RequestModel):
    code: str = Field(pattern=LOST_REASON_CODE)
    label: str = Field(min_length=1, max_length=100)
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)


class LostReasonUpdate(RequestModel):
    label: str | None = Field(default=None, min_length=1, max_length=100)
    active: StrictBool | None = None
    position: StrictInt | None = Field(default=None, ge=0, le=10_000)


class StageProbabilities(RequestModel):
    probabilities: dict[str, StrictInt] = Field(
        description="Open stage code → win probability in percent (0–100); won is 100, lost 0"
    )


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    OPPORTUNITY_CREATED: Opportunity,
    OPPORTUNITY_UPDATED: Opportunity,
    OPPORTUNITY_STAGE_CHANGED: Opportunity,
    OPPORTUNITY_DELETED: Tombstone,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("opportunity", "商机", "/opportunities/{id}", tuple(EVENT_SCHEMAS)),
)
