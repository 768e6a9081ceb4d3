"""Entrypoints of the leads area (handlers in ``sales.handlers.leads``, ``lead_conversion``,
``lead_rules``, ``lead_recycling``).

The settings the handlers need (daily caps, recycling days) are bound here, in adapters whose
signatures are the wire's: a caller cannot pass its own cap.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import utcnow
from kernel.entrypoints import rpc
from kernel.identity import SYSTEM
from nameko.timer import timer

from sales.handlers import lead_conversion, lead_recycling, lead_rules, leads
from sales.handlers.lead_common import LeadLimits
from sales.settings import SalesSettings
from sales.storage.unit import SalesUnit

SETTINGS = SalesSettings()
LIMITS = LeadLimits(default_daily_cap=SETTINGS.lead_daily_cap_default, timezone=SETTINGS.lead_cap_timezone)
RECYCLE_DAYS = {
    "A": SETTINGS.lead_recycle_days_a,
    "B": SETTINGS.lead_recycle_days_b,
    "C": SETTINGS.lead_recycle_days_c,
}


def create_lead(unit: SalesUnit, data: Any) -> dict[str, Any]:
    return leads.create_lead(unit, data, LIMITS)


def create_leads(unit: SalesUnit, rows: Any) -> dict[str, Any]:
    return leads.create_leads(unit, rows, LIMITS)


def claim_lead(unit: SalesUnit, lead_id: Any, expected_version: Any = None) -> dict[str, Any]:
    return leads.claim_lead(unit, lead_id, expected_version, LIMITS)


def assign_from_pool(unit: SalesUnit, team_id: Any = None, limit: Any = 100) -> dict[str, Any]:
    return lead_rules.assign_from_pool(unit, team_id, limit, LIMITS)


class LeadEntrypoints:
    units: Any  # the service's unit-of-work runner (SalesService.units)

    create_lead = rpc(create_lead)
    create_leads = rpc(create_leads)
    get_lead = rpc(leads.get_lead)
    update_lead = rpc(leads.update_lead)
    list_leads = rpc(leads.list_leads)
    claim_lead = rpc(claim_lead)
    assign_lead = rpc(leads.assign_lead)
    release_lead = rpc(leads.release_lead)
    log_lead_follow_up = rpc(leads.log_lead_follow_up)
    disqualify_lead = rpc(leads.disqualify_lead)
    convert_lead = rpc(lead_conversion.convert_lead)

    create_assignment_rule = rpc(lead_rules.create_assignment_rule)
    update_assignment_rule = rpc(lead_rules.update_assignment_rule)
    delete_assignment_rule = rpc(lead_rules.delete_assignment_rule)
    list_assignment_rules = rpc(lead_rules.list_assignment_rules)
    assign_from_pool = rpc(assign_from_pool)

    @timer(interval=SETTINGS.lead_recycle_check_seconds)
    def recycle_leads(self) -> None:
        now = utcnow()
        while self.units.run(SYSTEM, lead_recycling.recycle_leads, now, RECYCLE_DAYS) == lead_recycling.BATCH:
            pass
