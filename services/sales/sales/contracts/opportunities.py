"""Opportunities (商机) through the staged funnel.

RPC:
    create_opportunity(caller, data) -> Opportunity
    get_opportunity(caller, opportunity_id) -> Opportunity (with stage_history)
    update_opportunity(caller, opportunity_id, changes, expected_version=None) -> Opportunity
    change_stage(caller, opportunity_id, stage, lost_reason=None, lost_note=None, expected_version=None)
    list_opportunities(caller, filters=None, cursor=None, limit=50) -> Page[Opportunity]
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from pydantic import BaseModel

from sales.contracts.common import Owned, Tombstone

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


class Opportunity(Owned):
    title: str
    stage: str
    amount_minor: int
    currency: str


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    OPPORTUNITY_CREATED: Opportunity,
    OPPORTUNITY_UPDATED: Opportunity,
    OPPORTUNITY_STAGE_CHANGED: Opportunity,
    OPPORTUNITY_DELETED: Tombstone,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("opportunity", "商机", "/opportunities/{id}", tuple(EVENT_SCHEMAS)),
)
