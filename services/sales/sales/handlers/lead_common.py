"""What the lead use cases share: the state, loading with the right answer, permissions, the
record step, and the assignment book-keeping the daily caps count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kernel.audit import Changes, diff
from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.ids import new_id
from kernel.repository import check_version as kernel_check_version
from sqlalchemy import func, select, update

from sales import policy
from sales.contracts import leads as c
from sales.domain import leads_assignment as assignment
from sales.storage.models import AssignmentRuleRow, DirectoryUserRow, LeadAssignmentRow, LeadRow
from sales.storage.unit import SalesUnit

# Roles that may hold leads (own them, be rule members, receive an assignment).
HOLDER_ROLES = ("sales", "manager")


@dataclass(frozen=True)
class LeadLimits:
    """The service's settings the lead use cases need (the entrypoints pass them in)."""

    default_daily_cap: int = 30  # leads a day for a user no assignment rule names
    timezone: str = "Asia/Shanghai"  # where "today" starts for the daily caps


DEFAULT_LIMITS = LeadLimits()


def lead_state(row: LeadRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "company_name": row.company_name,
        "tax_id": row.tax_id,
        "contact_name": row.contact_name,
        "phone": row.phone,
        "email": row.email,
        "source": row.source,
        "region": row.region,
        "grade": row.grade,
        "score": row.score,
        "notes": row.notes,
        "status": row.status,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "assigned_at": isoformat(row.assigned_at),
        "last_follow_up_at": isoformat(row.last_follow_up_at),
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_owner_id": row.customer_owner_id,
        "converted_at": isoformat(row.converted_at),
        "created_by": row.created_by,
    }


def require_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValidationError.for_field(field, "must be a non-empty string of at most 64 characters")
    return value


def load(unit: SalesUnit, lead_id: Any, *, lock: bool = False) -> LeadRow:
    """The lead if the caller may read it; otherwise the same answer as for no lead at all."""
    row = unit.session.get(LeadRow, require_id(lead_id, "lead_id"), with_for_update=lock)
    if row is None or not policy.LEAD.can_read(unit.caller, lead_state(row)):
        raise NotFound(f"lead {lead_id} does not exist")
    return row


def require_write(caller: Caller, row: LeadRow) -> None:
    if not policy.can_write(caller, lead_state(row)):
        raise PermissionDenied("only the lead's owner, their team's manager or an admin may change it")


def require_open(row: LeadRow) -> None:
    if row.status not in c.OPEN_LEAD_STATUSES:
        raise Conflict(
            f"lead {row.id} is {row.status}", [{"field": "status", "message": f"lead is {row.status}"}]
        )


def check_version(row: LeadRow, expected_version: Any) -> None:
    kernel_check_version(row, expected_version, noun="lead")


def changes(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    return diff(before, after, ignore=("version", "updated_at"))


def record(
    unit: SalesUnit, row: LeadRow, action: str, before: dict[str, Any], *, reason: str | None = None
) -> dict[str, Any]:
    """Publish the lead's full state (``lead.created`` / ``lead.updated``) and audit what changed
    under ``action`` (claimed, assigned, recycled, converted …), with the reason if any."""
    state = lead_state(row)
    change_set = changes(before, state)
    if reason:
        change_set["reason"] = [None, reason]
    unit.record(
        "lead",
        action,
        state,
        customer_id=row.customer_id or "",  # a lead without a customer has its trail under ""
        changes=change_set,
        event_type=c.LEAD_CREATED if action == "created" else c.LEAD_UPDATED,
    )
    return state


def bump(row: LeadRow, now: datetime | None = None) -> None:
    row.version += 1
    row.updated_at = now or utcnow()


# -- holders, caps and the assignment history --------------------------------------------------------
def holder(unit: SalesUnit, user_id: str, field: str = "owner_id", *, lock: bool = False) -> DirectoryUserRow:
    """An active user who may hold leads (locked: their daily count is about to be read and grown)."""
    user = unit.session.get(DirectoryUserRow, user_id, with_for_update=lock)
    if user is None or not user.active or not any(r in HOLDER_ROLES for r in user.roles or ()):
        raise ValidationError.for_field(field, f"unknown or inactive sales user {user_id!r}")
    return user


def assigned_since(unit: SalesUnit, user_ids: Iterable[str], since: datetime) -> dict[str, int]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = unit.session.execute(
        select(LeadAssignmentRow.user_id, func.count())
        .where(
            LeadAssignmentRow.user_id.in_(ids),
            LeadAssignmentRow.at >= since,
            LeadAssignmentRow.via != "created",  # leads people find themselves are not dealt out
        )
        .group_by(LeadAssignmentRow.user_id)
    ).all()
    return {user_id: int(n) for user_id, n in rows}


def rules_of(unit: SalesUnit, team_id: str | None, *, lock: bool = False) -> list[AssignmentRuleRow]:
    if not team_id:
        return []
    query = select(AssignmentRuleRow).where(AssignmentRuleRow.team_id == team_id, AssignmentRuleRow.active)
    query = query.order_by(AssignmentRuleRow.priority, AssignmentRuleRow.id)
    return list(unit.session.scalars(query.with_for_update() if lock else query))


def as_rule(row: AssignmentRuleRow) -> assignment.Rule:
    return assignment.Rule(
        id=row.id,
        team_id=row.team_id,
        strategy=row.strategy,
        members=tuple(row.members or ()),
        daily_cap=row.daily_cap,
        next_index=row.next_index,
        priority=row.priority,
        region=row.region,
        grade=row.grade,
        active=row.active,
    )


def end_assignment(unit: SalesUnit, row: LeadRow, reason: str, now: datetime) -> None:
    unit.session.execute(
        update(LeadAssignmentRow)
        .where(LeadAssignmentRow.lead_id == row.id, LeadAssignmentRow.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def give(
    unit: SalesUnit,
    row: LeadRow,
    user: DirectoryUserRow,
    via: str,
    now: datetime,
    *,
    rule_id: str | None = None,
) -> None:
    """Hand the lead to ``user`` (the previous holder's turn ends) and note it for the caps."""
    end_assignment(unit, row, "reassigned", now)
    row.owner_id = user.id
    row.team_id = user.team_id
    row.status = "assigned"
    row.assigned_at = now
    unit.session.add(
        LeadAssignmentRow(
            id=new_id(),
            lead_id=row.id,
            user_id=user.id,
            team_id=user.team_id,
            via=via,
            rule_id=rule_id,
            at=now,
        )
    )


def to_pool(unit: SalesUnit, row: LeadRow, reason: str, now: datetime) -> None:
    """Back to the pool of the team it was with (its managers still see it)."""
    end_assignment(unit, row, reason, now)
    row.owner_id = None
    row.status = "pooled"
    row.assigned_at = None


def pick_by_rules(
    unit: SalesUnit, team_id: str | None, region: str | None, grade: str, limits: LeadLimits, now: datetime
) -> tuple[DirectoryUserRow, str] | None:
    """The team member the rules give the next lead to (the rule's turn moves on), or None.

    Locks the team's rules, then the members' directory rows in id order (the one lock order
    claims take too), so two imports at once cannot both give a member their last slot.
    """
    rule_rows = rules_of(unit, team_id, lock=True)
    if not rule_rows:
        return None
    members = sorted({m for r in rule_rows for m in (r.members or ())})
    users = {
        u.id: u
        for u in unit.session.scalars(
            select(DirectoryUserRow)
            .where(DirectoryUserRow.id.in_(members))
            .order_by(DirectoryUserRow.id)
            .with_for_update()
        )
    }
    eligible = {
        uid
        for uid, u in users.items()
        if u.active and u.team_id == team_id and any(r in HOLDER_ROLES for r in u.roles or ())
    }
    counts = assigned_since(unit, eligible, assignment.day_start(now, limits.timezone))
    pick = assignment.pick_member(
        [as_rule(r) for r in rule_rows], region=region, grade=grade, assigned_today=counts, eligible=eligible
    )
    if pick is None:
        return None
    for rule in rule_rows:
        if rule.id == pick.rule_id:
            rule.next_index = pick.next_index  # the turn is config state, not an audited change
    return users[pick.user_id], pick.rule_id
