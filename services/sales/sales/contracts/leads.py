"""Leads (线索) and the lead pool.

A lead is a company someone may sell to, before it is a customer. It is either in the pool
(``status = "pooled"``, no owner: every sales user sees it and may claim it) or with an owner
(``assigned``), until it is ``converted`` into a customer (created, or linked to the existing
one) or ``disqualified``. Leads not followed up in time go back to the pool by themselves.

RPC (every method takes ``caller`` first):
    create_lead(caller, data) -> Lead
        who owns it: ``data.owner_id`` when given; else by ``data.assign``:
        "self" (the caller; the default for sales users), "rules" (the team's assignment
        rules; the default for everyone else; no rule or everyone at their cap → the pool),
        "pool" (straight into the pool).
    create_leads(caller, rows) -> BulkResult   (per-row results; good rows kept, bad rows named)
    get_lead(caller, lead_id) -> Lead (+ ``follow_ups``: its notes, newest first)
    update_lead(caller, lead_id, changes, expected_version=None) -> Lead
    list_leads(caller, filters=None, cursor=None, limit=50) -> Page[Lead]
        filters: status, owner_id, team_id, grade, source, pool (bool), q (company name contains)
    claim_lead(caller, lead_id, expected_version=None) -> Lead     (sales; daily cap)
    assign_lead(caller, lead_id, owner_id, expected_version=None) -> Lead   (manager, admin)
    release_lead(caller, lead_id, reason=None, expected_version=None) -> Lead   (back to the pool)
    log_lead_follow_up(caller, lead_id, note, expected_version=None) -> Lead
    disqualify_lead(caller, lead_id, reason, expected_version=None) -> Lead
    convert_lead(caller, lead_id, data=None, expected_version=None) -> Lead
        (creates the customer, or links the existing one: same tax id or company name)
    assign_from_pool(caller, team_id=None, limit=100) -> {"assigned": n, "lead_ids": [...]}
    create_assignment_rule(caller, data) / update_assignment_rule(caller, rule_id, changes,
        expected_version=None) / delete_assignment_rule(caller, rule_id) /
        list_assignment_rules(caller, team_id=None) -> AssignmentRule / Page
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Id, RequestModel
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from sales.contracts.common import Owned, Tombstone

LeadSource = Literal["web_form", "event", "referral", "call", "api_import", "other"]
LeadGrade = Literal["A", "B", "C"]
LeadStatus = Literal["pooled", "assigned", "converted", "disqualified"]
LeadAssign = Literal["self", "rules", "pool"]
RuleStrategy = Literal["round_robin", "region", "grade"]
LEAD_SOURCES: tuple[str, ...] = get_args(LeadSource)
LEAD_GRADES: tuple[str, ...] = get_args(LeadGrade)
LEAD_STATUSES: tuple[str, ...] = get_args(LeadStatus)
LEAD_ASSIGN_MODES: tuple[str, ...] = get_args(LeadAssign)
RULE_STRATEGIES: tuple[str, ...] = get_args(RuleStrategy)
OPEN_LEAD_STATUSES = ("pooled", "assigned")

SOURCE_LABELS = {
    "web_form": "网站表单",
    "event": "活动",
    "referral": "转介绍",
    "call": "电话",
    "api_import": "API 导入",
    "other": "其他",
}
STATUS_LABELS = {"pooled": "公海", "assigned": "跟进中", "converted": "已转化", "disqualified": "无效"}

# Field limits (characters; score 0–100): enforced by the service, published by the gateway.
MAX_LEN: dict[str, int] = {
    "company_name": 200,
    "tax_id": 32,
    "contact_name": 100,
    "phone": 40,
    "email": 254,
    "region": 100,
    "notes": 10_000,
    "note": 5_000,
    "reason": 500,
}
SCORE_MAX = 100
BULK_MAX_ROWS = 500
RULE_MAX_MEMBERS = 50
DAILY_CAP_MAX = 10_000

LEAD_CREATED, LEAD_UPDATED, LEAD_DELETED = "lead.created", "lead.updated", "lead.deleted"


class Lead(Owned):
    company_name: str
    status: str
    grade: str
    source: str
    tax_id: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    score: int | None = None
    notes: str | None = None
    assigned_at: datetime | None = None
    last_follow_up_at: datetime | None = None
    converted_at: datetime | None = None
    created_by: str | None = None


class LeadFollowUp(BaseModel):
    id: str
    at: datetime
    author_id: str
    note: str


class BulkRowResult(BaseModel):
    index: int
    ok: bool
    id: str | None = None
    status: str | None = None
    owner_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class BulkResult(BaseModel):
    created: int
    rejected: int
    results: list[BulkRowResult]


class AssignmentRule(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    team_id: str
    strategy: str
    region: str | None = None
    grade: str | None = None
    members: list[str]
    daily_cap: int
    priority: int
    active: bool
    version: int
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- RPC inputs ----------------------------------------------------------------------------------
_L = MAX_LEN


class _LeadFields(RequestModel):
    tax_id: str | None = Field(
        default=None, max_length=_L["tax_id"], description="18-character unified social credit code"
    )
    contact_name: str | None = Field(default=None, max_length=_L["contact_name"], examples=["张伟"])
    phone: str | None = Field(default=None, max_length=_L["phone"], examples=["13800138000"])
    email: str | None = Field(default=None, max_length=_L["email"])
    region: str | None = Field(default=None, max_length=_L["region"], examples=["华东"])
    score: StrictInt | None = Field(default=None, ge=0, le=SCORE_MAX)
    notes: str | None = Field(default=None, max_length=_L["notes"])


class LeadCreate(_LeadFields):
    company_name: str = Field(min_length=1, max_length=_L["company_name"], examples=["A科技有限公司"])
    source: LeadSource | None = Field(default=None, description="Channel; `other` when left out")
    grade: LeadGrade | None = Field(
        default=None, description="A/B/C; from the score when left out (≥80 A, ≥50 B), else B"
    )
    owner_id: Id | None = Field(default=None, description="Who works it (sales: only yourself)")
    team_id: Id | None = Field(default=None, description="Whose pool and rules; defaults to your team")
    assign: LeadAssign | None = Field(
        default=None,
        description="Without owner_id: `self` (default for sales), `rules` (default for others; "
        "no fitting rule or everyone at their daily cap → the pool), `pool`",
    )


class LeadUpdate(_LeadFields):
    company_name: str | None = Field(default=None, min_length=1, max_length=_L["company_name"])
    source: LeadSource | None = None
    grade: LeadGrade | None = None


class LeadConvert(RequestModel):
    company_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=_L["company_name"],
        description="The registered company name, if the lead's is not (e.g. …有限公司)",
    )
    tax_id: str | None = Field(default=None, max_length=_L["tax_id"])
    customer_id: Id | None = Field(default=None, description="Link to this existing customer")
    force: StrictBool = Field(
        default=False, description="Create a new customer even when one with a similar name exists"
    )


class LeadAssignTo(RequestModel):
    owner_id: Id


class LeadNote(RequestModel):
    note: str = Field(min_length=1, max_length=_L["note"])


class LeadReason(RequestModel):
    reason: str | None = Field(default=None, max_length=_L["reason"])


class LeadDisqualify(RequestModel):
    reason: str = Field(min_length=1, max_length=_L["reason"])


class RuleCreate(RequestModel):
    team_id: Id | None = Field(default=None, description="Defaults to your team")
    strategy: RuleStrategy
    region: str | None = Field(default=None, max_length=_L["region"], description="strategy `region`")
    grade: LeadGrade | None = Field(default=None, description="strategy `grade`")
    members: list[Id] = Field(min_length=1, max_length=RULE_MAX_MEMBERS)
    daily_cap: StrictInt = Field(ge=1, le=DAILY_CAP_MAX, description="Leads per member per day")
    priority: StrictInt = Field(default=100, ge=0, le=10_000, description="Lower is tried first")
    active: StrictBool = True


class RuleUpdate(RequestModel):
    strategy: RuleStrategy | None = None
    region: str | None = Field(default=None, max_length=_L["region"])
    grade: LeadGrade | None = None
    members: list[Id] | None = Field(default=None, min_length=1, max_length=RULE_MAX_MEMBERS)
    daily_cap: StrictInt | None = Field(default=None, ge=1, le=DAILY_CAP_MAX)
    priority: StrictInt | None = Field(default=None, ge=0, le=10_000)
    active: StrictBool | None = None


class PoolAssign(RequestModel):
    team_id: Id | None = Field(default=None, description="Defaults to your team")
    limit: StrictInt = Field(default=100, ge=1, le=500)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {LEAD_CREATED: Lead, LEAD_UPDATED: Lead, LEAD_DELETED: Tombstone}
SEARCH_KINDS: tuple[SearchKind, ...] = (SearchKind("lead", "线索", "/leads/{id}", tuple(EVENT_SCHEMAS)),)
