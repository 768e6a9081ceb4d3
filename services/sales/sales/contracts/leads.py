"""Leads (线索) and the lead pool.

RPC:
    create_lead(caller, data) -> Lead
    create_leads(caller, rows) -> BulkResult     (per-row results; good rows kept, bad rows named)
    get_lead(caller, lead_id) -> Lead
    update_lead(caller, lead_id, changes, expected_version=None) -> Lead
    list_leads(caller, filters=None, cursor=None, limit=50) -> Page[Lead]
    convert_lead(caller, lead_id, data) -> Lead  (creates or links the customer)
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from pydantic import BaseModel

from sales.contracts.common import Owned, Tombstone

LeadSource = Literal["web_form", "event", "referral", "call", "api_import", "other"]
LeadGrade = Literal["A", "B", "C"]
LeadStatus = Literal["pooled", "assigned", "converted", "disqualified"]
LEAD_SOURCES: tuple[str, ...] = get_args(LeadSource)
LEAD_GRADES: tuple[str, ...] = get_args(LeadGrade)
LEAD_STATUSES: tuple[str, ...] = get_args(LeadStatus)

LEAD_CREATED, LEAD_UPDATED, LEAD_DELETED = "lead.created", "lead.updated", "lead.deleted"


class Lead(Owned):
    company_name: str
    status: str
    grade: str
    source: str


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {LEAD_CREATED: Lead, LEAD_UPDATED: Lead, LEAD_DELETED: Tombstone}
SEARCH_KINDS: tuple[SearchKind, ...] = (SearchKind("lead", "线索", "/leads/{id}", tuple(EVENT_SCHEMAS)),)
