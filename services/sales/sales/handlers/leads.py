"""Leads and the lead pool: create (one or in bulk), read, change, list, claim, assign, release,
follow up, disqualify. Conversion is in ``lead_conversion``, rules in ``lead_rules``, the
recycling timer in ``lead_recycling``.

Who owns a new lead (documented in ``sales.contracts.leads``): ``owner_id`` when given (sales
only themselves, a manager their team, an admin anyone); otherwise ``assign``: ``self`` (the
default for sales users: they found it), ``rules`` (the default for managers, admins and
imports: the team's assignment rules; nobody fits or everyone is at their cap → the pool),
``pool``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel.access_sql import visible
from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import Conflict, FieldErrors, PanoramaError, PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from sqlalchemy import select

from sales import policy
from sales.contracts import leads as c
from sales.domain import leads as rules
from sales.domain import leads_assignment as assignment
from sales.handlers import replicas
from sales.handlers.lead_common import (
    DEFAULT_LIMITS,
    LeadLimits,
    as_rule,
    assigned_since,
    bump,
    check_version,
    end_assignment,
    give,
    holder,
    lead_state,
    load,
    pick_by_rules,
    record,
    require_id,
    require_open,
    require_write,
    rules_of,
    to_pool,
)
from sales.storage.models import LeadNoteRow, LeadRow
from sales.storage.unit import SalesUnit

FILTERS = ("status", "owner_id", "team_id", "grade", "source", "pool", "q", "customer_id")
NOTES_SHOWN = 50


def _require_seller(caller: Caller) -> None:
    if not (caller.is_admin or caller.has("manager") or caller.has("sales")):
        raise PermissionDenied("your role may not work with leads")


def _may_give(caller: Caller, user_id: str, user_team: str | None) -> bool:
    """Admin: anyone; a manager: their team; a sales user: only themselves."""
    if caller.is_admin:
        return True
    if policy.is_team_manager(caller, user_team):
        return True
    return caller.has("sales") and caller.user_id == user_id


# -- create ---------------------------------------------------------------------------------------------
def create_lead(unit: SalesUnit, data: Any, limits: LeadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    _require_seller(unit.caller)
    return _create(unit, rules.clean_create(data), limits, utcnow())


def _create(unit: SalesUnit, values: dict[str, Any], limits: LeadLimits, now: datetime) -> dict[str, Any]:
    caller = unit.caller
    owner_id = values.pop("owner_id", None)
    team_id = values.pop("team_id", None) or caller.team_id
    mode = values.pop("assign", None) or ("self" if caller.has("sales") else "rules")
    if team_id != caller.team_id and not caller.is_admin:
        raise ValidationError.for_field("team_id", "you may add leads to your own team only")
    row = LeadRow(
        id=new_id(),
        status="pooled",
        owner_id=None,
        team_id=team_id,
        created_by=caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
        **values,
    )
    unit.session.add(row)
    unit.session.flush()  # the assignment history refers to it
    if owner_id is not None:
        user = holder(unit, owner_id, lock=True)
        if not _may_give(caller, user.id, user.team_id):
            raise PermissionDenied(f"you may not give leads to {owner_id}")
        give(unit, row, user, "created" if user.id == caller.user_id else "assigned", now)
    elif mode == "self":
        give(unit, row, holder(unit, caller.user_id, "assign", lock=True), "created", now)
    elif mode == "rules":
        picked = pick_by_rules(unit, team_id, row.region, row.grade, limits, now)
        if picked is not None:
            user, rule_id = picked
            give(unit, row, user, "rule", now, rule_id=rule_id)
    return record(unit, row, "created", {})


def create_leads(unit: SalesUnit, rows: Any, limits: LeadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Each row on its own: a good row is kept, a bad one is answered with its reasons; a row is
    written whole or not at all (each in a savepoint, with its event and audit line)."""
    _require_seller(unit.caller)
    if not isinstance(rows, list) or not rows:
        raise ValidationError.for_field("rows", "must be a non-empty list of lead objects")
    if len(rows) > c.BULK_MAX_ROWS:
        raise ValidationError.for_field("rows", f"must have at most {c.BULK_MAX_ROWS} items")
    now = utcnow()
    results: list[dict[str, Any]] = []
    for index, data in enumerate(rows):
        try:
            with unit.session.begin_nested():
                state = _create(unit, rules.clean_create(data), limits, now)
        except PanoramaError as exc:
            errors = exc.errors or [{"field": "row", "message": exc.detail}]
            results.append({"index": index, "ok": False, "errors": errors})
            continue
        results.append(
            {
                "index": index,
                "ok": True,
                "id": state["id"],
                "status": state["status"],
                "owner_id": state["owner_id"],
            }
        )
    created = sum(1 for r in results if r["ok"])
    return {"created": created, "rejected": len(results) - created, "results": results}


# -- read -------------------------------------------------------------------------------------------------
def get_lead(unit: SalesUnit, lead_id: Any) -> dict[str, Any]:
    row = load(unit, lead_id)
    notes = unit.session.scalars(
        select(LeadNoteRow)
        .where(LeadNoteRow.lead_id == row.id)
        .order_by(LeadNoteRow.at.desc(), LeadNoteRow.id.desc())
        .limit(NOTES_SHOWN)
    )
    follow_ups = [
        {"id": n.id, "at": isoformat(n.at), "author_id": n.author_id, "note": n.note} for n in notes
    ]
    return {**lead_state(row), "follow_ups": follow_ups}


def _filters(unit: SalesUnit, filters: Any) -> list[Any]:
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise ValidationError.for_field("filters", "must be an object")
    errors = FieldErrors()
    clauses: list[Any] = []
    choices = {"status": c.LEAD_STATUSES, "grade": c.LEAD_GRADES, "source": c.LEAD_SOURCES}
    for key, value in filters.items():
        field = f"filters.{key}"
        if key not in FILTERS:
            errors.add(field, "is not a known filter")
        elif value is None:
            continue
        elif key == "pool":
            if not isinstance(value, bool):
                errors.add(field, "must be true or false")
            elif value:
                clauses.append(LeadRow.status == "pooled")
            else:
                clauses.append(LeadRow.status != "pooled")
        elif not isinstance(value, str) or not value or len(value) > 200:
            errors.add(field, "must be a string of 1 to 200 characters")
        elif key in choices and value not in choices[key]:
            errors.add(field, f"must be one of {', '.join(choices[key])}")
        elif key == "q":
            escaped = value.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            clauses.append(LeadRow.company_name.ilike(f"%{escaped}%"))
        else:
            if key == "owner_id" and value == "me":
                value = unit.caller.user_id
            clauses.append(getattr(LeadRow, key) == value)
    errors.raise_if_any()
    return clauses


def list_leads(unit: SalesUnit, filters: Any = None, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    """Newest first, only what the caller may read (the policy's SQL form)."""
    size = page_limit(limit)
    clauses = _filters(unit, filters)
    after = decode_cursor(cursor)
    columns = {
        "owner_id": LeadRow.owner_id,
        "team_id": LeadRow.team_id,
        "status": LeadRow.status,
        "customer_owner_id": LeadRow.customer_owner_id,
    }
    query = select(LeadRow).where(visible(policy.LEAD, unit.caller, columns), *clauses)
    if after is not None:
        last = after["id"]
        if not isinstance(last, str):
            raise ValidationError.for_field("cursor", "is not a cursor returned by this API")
        query = query.where(LeadRow.id < last)
    rows = list(unit.session.scalars(query.order_by(LeadRow.id.desc()).limit(size + 1)))
    items = [lead_state(r) for r in rows[:size]]
    next_cursor = encode_cursor({"id": items[-1]["id"]}) if len(rows) > size and items else None
    return {"items": items, "next_cursor": next_cursor}


# -- change -------------------------------------------------------------------------------------------------
def update_lead(unit: SalesUnit, lead_id: Any, changes: Any, expected_version: Any = None) -> dict[str, Any]:
    values = rules.clean_update(changes)
    row = load(unit, lead_id, lock=True)
    require_write(unit.caller, row)
    check_version(row, expected_version)
    require_open(row)
    before = lead_state(row)
    if all(before.get(k) == v for k, v in values.items()):
        return before  # nothing changed: no version bump, no event
    for key, value in values.items():
        setattr(row, key, value)
    bump(row)
    return record(unit, row, "updated", before)


def claim_lead(
    unit: SalesUnit, lead_id: Any, expected_version: Any = None, limits: LeadLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """A sales user takes a lead from the pool, up to their daily cap."""
    caller = unit.caller
    if not caller.has("sales"):
        raise PermissionDenied("only sales users claim leads from the pool")
    row = load(unit, lead_id, lock=True)
    check_version(row, expected_version)
    if row.status != "pooled":
        raise Conflict(
            f"lead {row.id} is no longer in the pool",
            [{"field": "status", "message": f"lead is {row.status}"}],
        )
    user = holder(unit, caller.user_id, "caller", lock=True)
    now = utcnow()
    cap = assignment.claim_cap(
        [as_rule(r) for r in rules_of(unit, user.team_id)], user.id, limits.default_daily_cap
    )
    taken = assigned_since(unit, [user.id], assignment.day_start(now, limits.timezone)).get(user.id, 0)
    if taken >= cap:
        raise Conflict(
            f"daily cap reached: you were given {taken} leads today (cap {cap})",
            [{"field": "daily_cap", "message": f"at most {cap} leads a day"}],
        )
    before = lead_state(row)
    give(unit, row, user, "claimed", now)
    bump(row, now)
    return record(unit, row, "claimed", before)


def assign_lead(unit: SalesUnit, lead_id: Any, owner_id: Any, expected_version: Any = None) -> dict[str, Any]:
    """A manager gives a lead (pooled, or someone's) to a member of their team; admins to anyone.
    A manager's decision is not held to the daily caps (they only bound claims and the rules)."""
    caller = unit.caller
    if not (caller.is_admin or caller.has("manager")):
        raise PermissionDenied("only managers and admins assign leads")
    target_id = require_id(owner_id, "owner_id")
    row = load(unit, lead_id, lock=True)
    check_version(row, expected_version)
    require_open(row)
    require_write(caller, row)
    user = holder(unit, target_id, lock=True)
    if not _may_give(caller, user.id, user.team_id):
        raise PermissionDenied(f"you may assign leads to members of your team only, not {target_id}")
    if row.owner_id == user.id:
        return lead_state(row)
    before = lead_state(row)
    now = utcnow()
    give(unit, row, user, "assigned", now)
    bump(row, now)
    return record(unit, row, "assigned", before)


def release_lead(
    unit: SalesUnit, lead_id: Any, reason: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    """The owner (or their manager) hands the lead back to the pool."""
    why = rules.clean_note(reason, "reason", required=False)
    row = load(unit, lead_id, lock=True)
    require_write(unit.caller, row)
    check_version(row, expected_version)
    if row.status != "assigned":
        raise Conflict(
            f"lead {row.id} is {row.status}", [{"field": "status", "message": f"lead is {row.status}"}]
        )
    before = lead_state(row)
    now = utcnow()
    to_pool(unit, row, "released", now)
    bump(row, now)
    return record(unit, row, "released", before, reason=why)


def log_lead_follow_up(
    unit: SalesUnit, lead_id: Any, note: Any, expected_version: Any = None
) -> dict[str, Any]:
    """A note on the lead; it counts as following it up (the recycling clock starts again)."""
    text = rules.clean_note(note)
    row = load(unit, lead_id, lock=True)
    require_write(unit.caller, row)
    check_version(row, expected_version)
    require_open(row)
    before = lead_state(row)
    now = utcnow()
    unit.session.add(
        LeadNoteRow(id=new_id(), lead_id=row.id, author_id=unit.caller.user_id, at=now, note=text)
    )
    row.last_follow_up_at = now
    bump(row, now)
    state = record(unit, row, "followed_up", before, reason=text)
    return state


def disqualify_lead(
    unit: SalesUnit, lead_id: Any, reason: Any, expected_version: Any = None
) -> dict[str, Any]:
    why = rules.clean_note(reason, "reason")
    row = load(unit, lead_id, lock=True)
    require_write(unit.caller, row)
    check_version(row, expected_version)
    require_open(row)
    before = lead_state(row)
    now = utcnow()
    end_assignment(unit, row, "disqualified", now)
    row.status = "disqualified"
    bump(row, now)
    return record(unit, row, "disqualified", before, reason=why)


# -- a customer's name or owner changed: converted leads carry both ------------------------------------------
def republish_customer_leads(unit: SalesUnit, ref: CustomerRef) -> None:
    rows = unit.session.scalars(
        select(LeadRow).where(LeadRow.customer_id == ref.id).order_by(LeadRow.id).with_for_update()
    )
    for row in rows:
        if (row.customer_name, row.customer_owner_id) == (ref.name, ref.owner_id):
            continue
        row.customer_name = ref.name
        row.customer_owner_id = ref.owner_id
        bump(row)
        # An update with no change of its own: published (search shows the new name), not audited.
        unit.record("lead", "updated", lead_state(row), customer_id=ref.id, event_type=c.LEAD_UPDATED)


replicas.REPUBLISHERS.append(republish_customer_leads)
