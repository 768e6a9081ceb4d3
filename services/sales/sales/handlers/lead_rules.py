"""Assignment rules (a team's managers keep them; admins any team's) and dealing the pool out.

Rules are configuration, not records anyone searches: their changes are audited (under the
empty customer id, like pooled leads) but publish no event.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.ids import new_id
from sqlalchemy import select

from sales import policy
from sales.contracts import leads as c
from sales.domain import leads as fields
from sales.handlers.lead_common import (
    DEFAULT_LIMITS,
    HOLDER_ROLES,
    LeadLimits,
    bump,
    give,
    lead_state,
    pick_by_rules,
    record,
    require_id,
)
from sales.handlers.lead_common import changes as change_set
from sales.storage.models import AssignmentRuleRow, DirectoryUserRow, LeadRow
from sales.storage.unit import SalesUnit

RULE_KIND = "lead_rule"


def rule_state(row: AssignmentRuleRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "team_id": row.team_id,
        "strategy": row.strategy,
        "region": row.region,
        "grade": row.grade,
        "members": list(row.members or []),
        "daily_cap": row.daily_cap,
        "priority": row.priority,
        "active": row.active,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def _team_of(caller: Caller, team_id: Any) -> str:
    """The team a manager acts on (their own) or an admin names."""
    if team_id is None:
        team_id = caller.team_id
    if caller.is_admin:
        if not isinstance(team_id, str) or not team_id:
            raise ValidationError.for_field("team_id", "is required")
        return team_id
    if not caller.has("manager"):
        raise PermissionDenied("only managers and admins manage lead assignment")
    if not policy.is_team_manager(caller, team_id):
        raise PermissionDenied("you may manage your own team's lead assignment only")
    return str(team_id)


_RULE_FIELDS: dict[str, Any] = {
    "strategy": lambda e, k, v: fields.choice(e, k, v, c.RULE_STRATEGIES, required=True),
    "region": lambda e, k, v: fields.text(e, k, v, max_len=c.MAX_LEN["region"]),
    "grade": lambda e, k, v: fields.choice(e, k, v, c.LEAD_GRADES),
    "members": lambda e, k, v: _member_list(e, k, v),
    "daily_cap": lambda e, k, v: fields.integer(e, k, v, low=1, high=c.DAILY_CAP_MAX),
    "priority": lambda e, k, v: fields.integer(e, k, v, low=0, high=10_000),
    "active": lambda e, k, v: fields.boolean(e, k, v),
}
_REQUIRED = ("strategy", "members", "daily_cap")


def _member_list(errors: FieldErrors, field: str, value: Any) -> list[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        errors.add(field, "must be a non-empty list of user ids")
        return None
    unique = list(dict.fromkeys(value))
    if len(unique) > c.RULE_MAX_MEMBERS:
        errors.add(field, f"must have at most {c.RULE_MAX_MEMBERS} members")
        return None
    return unique


def _clean(payload: Any, *, partial: bool) -> dict[str, Any]:
    name = "changes" if partial else "data"
    payload = fields.require_mapping(payload, name)
    errors = FieldErrors()
    known = set(_RULE_FIELDS) | ({"team_id"} if not partial else set())
    for key in payload:
        if key not in known:
            errors.add(key, "is not a known field")
    values = {
        key: cleaner(errors, key, payload[key]) for key, cleaner in _RULE_FIELDS.items() if key in payload
    }
    if not partial:
        for key in _REQUIRED:
            if key not in payload:
                errors.add(key, "is required")
    for key in ("strategy", "members", "daily_cap", "priority", "active"):
        if key in payload and payload[key] is None and key in values:
            errors.add(key, "must not be empty")
    errors.raise_if_any()
    if partial and not values:
        raise ValidationError.for_field(name, "no changes given")
    return values


def _check_shape(unit: SalesUnit, team_id: str, state: dict[str, Any]) -> None:
    errors = FieldErrors()
    if state["strategy"] == "region" and not state.get("region"):
        errors.add("region", "is required by strategy region")
    if state["strategy"] == "grade" and not state.get("grade"):
        errors.add("grade", "is required by strategy grade")
    members = state["members"]
    users = {
        u.id: u
        for u in unit.session.scalars(select(DirectoryUserRow).where(DirectoryUserRow.id.in_(members)))
    }
    for index, user_id in enumerate(members):
        user = users.get(user_id)
        if user is None or not user.active or not any(r in HOLDER_ROLES for r in user.roles or ()):
            errors.add(f"members.{index}", f"unknown or inactive sales user {user_id!r}")
        elif user.team_id != team_id:
            errors.add(f"members.{index}", f"{user_id} is not a member of team {team_id}")
    errors.raise_if_any()


def create_assignment_rule(unit: SalesUnit, data: Any) -> dict[str, Any]:
    payload = fields.require_mapping(data)
    team_id = _team_of(unit.caller, payload.get("team_id"))
    values = _clean(payload, partial=False)
    values.setdefault("priority", 100)
    if values.get("active") is None:
        values["active"] = True
    values["priority"] = 100 if values["priority"] is None else values["priority"]
    _check_shape(unit, team_id, values)
    now = utcnow()
    row = AssignmentRuleRow(
        id=new_id(), team_id=team_id, next_index=0, created_at=now, updated_at=now, version=1, **values
    )
    unit.session.add(row)
    unit.session.flush()
    state = rule_state(row)
    unit.audit(RULE_KIND, row.id, "created", change_set({}, state), customer_id="")
    return state


def _load_rule(unit: SalesUnit, rule_id: Any, *, lock: bool = False) -> AssignmentRuleRow:
    row = unit.session.get(AssignmentRuleRow, require_id(rule_id, "rule_id"), with_for_update=lock)
    caller = unit.caller
    if row is None or not (caller.is_admin or policy.is_team_manager(caller, row.team_id)):
        raise NotFound(f"assignment rule {rule_id} does not exist")
    return row


def update_assignment_rule(
    unit: SalesUnit, rule_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    values = _clean(changes, partial=True)
    row = _load_rule(unit, rule_id, lock=True)
    if expected_version is not None and expected_version != row.version:
        raise Conflict(
            f"version mismatch: you have {expected_version}, the rule is at {row.version}",
            [{"field": "version", "message": f"current version is {row.version}"}],
        )
    before = rule_state(row)
    after = {**before, **values}
    _check_shape(unit, row.team_id, after)
    if after == before:
        return before
    for key, value in values.items():
        setattr(row, key, value)
    if "members" in values:
        row.next_index = 0
    row.version += 1
    row.updated_at = utcnow()
    state = rule_state(row)
    unit.audit(RULE_KIND, row.id, "updated", change_set(before, state), customer_id="")
    return state


def delete_assignment_rule(unit: SalesUnit, rule_id: Any) -> dict[str, Any]:
    row = _load_rule(unit, rule_id, lock=True)
    state = rule_state(row)
    unit.session.delete(row)
    unit.audit(RULE_KIND, row.id, "deleted", change_set(state, {}), customer_id="")
    return {"id": row.id, "deleted": True, "version": row.version + 1}


def list_assignment_rules(unit: SalesUnit, team_id: Any = None) -> dict[str, Any]:
    caller = unit.caller
    query = select(AssignmentRuleRow).order_by(
        AssignmentRuleRow.team_id, AssignmentRuleRow.priority, AssignmentRuleRow.id
    )
    if team_id is not None or not caller.is_admin:
        query = query.where(AssignmentRuleRow.team_id == _team_of(caller, team_id))
    return {"items": [rule_state(r) for r in unit.session.scalars(query)], "next_cursor": None}


def assign_from_pool(
    unit: SalesUnit, team_id: Any = None, limit: Any = 100, limits: LeadLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """Deal the team's pooled leads out by its rules, oldest first, until members reach their caps.
    Leads another transaction holds are skipped (``SKIP LOCKED``), not waited for."""
    team = _team_of(unit.caller, team_id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 500:
        raise ValidationError.for_field("limit", "must be an integer from 1 to 500")
    rows = list(
        unit.session.scalars(
            select(LeadRow)
            .where(LeadRow.status == "pooled", LeadRow.team_id == team)
            .order_by(LeadRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    now = utcnow()
    assigned: list[str] = []
    for row in rows:
        picked = pick_by_rules(unit, team, row.region, row.grade, limits, now)
        if picked is None:
            continue
        user, rule_id = picked
        before = lead_state(row)
        give(unit, row, user, "rule", now, rule_id=rule_id)
        bump(row, now)
        record(unit, row, "assigned", before, reason=f"assignment rule {rule_id}")
        unit.session.flush()  # the next pick counts this one against the member's cap
        assigned.append(row.id)
    return {"assigned": len(assigned), "lead_ids": assigned, "left_in_pool": len(rows) - len(assigned)}
