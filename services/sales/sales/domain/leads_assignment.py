"""Who gets the next lead, and when a lead goes back to the pool (pure functions, unit-tested).

Assignment rules deal a team's incoming leads to its members:

- ``round_robin`` takes every lead; ``region`` only leads of its region, ``grade`` of its grade;
- rules are tried by ``priority`` (lower first), then by id, and the first rule with a member
  under their daily cap wins;
- inside a rule, members take turns from the rule's ``next_index``: whoever is at their cap
  (or no longer active) is skipped, and the turn moves past whoever got the lead.

A per-user daily cap counts the leads the user was given since the start of their day (claims,
rule assignments, a manager's assignment), whatever happened to those leads since: releasing a
lead does not make room for another claim.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from kernel.text import fold


@dataclass(frozen=True)
class Rule:
    id: str
    team_id: str
    strategy: str  # round_robin, region, grade
    members: tuple[str, ...]
    daily_cap: int
    next_index: int = 0
    priority: int = 100
    region: str | None = None
    grade: str | None = None
    active: bool = True

    def matches(self, region: str | None, grade: str | None) -> bool:
        if not self.active or not self.members:
            return False
        if self.strategy == "region":
            return bool(region) and bool(self.region) and fold(region or "") == fold(self.region or "")
        if self.strategy == "grade":
            return grade is not None and grade == self.grade
        return self.strategy == "round_robin"


@dataclass(frozen=True)
class Pick:
    rule_id: str
    user_id: str
    next_index: int  # the rule's turn after this pick


def ordered(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (r.priority, r.id))


def pick_member(
    rules: Iterable[Rule],
    *,
    region: str | None,
    grade: str | None,
    assigned_today: Mapping[str, int],
    eligible: Collection[str],
) -> Pick | None:
    """The member who gets a lead of ``region``/``grade``; None: nobody (the lead stays pooled).

    ``assigned_today``: user → leads given to them today; ``eligible``: active users who may hold
    leads (a member who left the team or was deactivated is skipped, not an error).
    """
    for rule in ordered(rules):
        if not rule.matches(region, grade):
            continue
        size = len(rule.members)
        for step in range(size):
            index = (rule.next_index + step) % size
            user_id = rule.members[index]
            if user_id in eligible and assigned_today.get(user_id, 0) < rule.daily_cap:
                return Pick(rule.id, user_id, (index + 1) % size)
    return None


def claim_cap(rules: Iterable[Rule], user_id: str, default: int) -> int:
    """How many leads ``user_id`` may take a day: the tightest active rule naming them, else the
    service's default."""
    caps = [r.daily_cap for r in rules if r.active and user_id in r.members]
    return min(caps) if caps else default


def day_start(now: datetime, zone: str) -> datetime:
    """The start of ``now``'s day where the team works (caps reset at local midnight)."""
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


# -- recycling ------------------------------------------------------------------------------------------
def recycle_cutoffs(now: datetime, days_by_grade: Mapping[str, int]) -> dict[str, datetime]:
    """Per grade: a lead whose last touch (assignment or follow-up) is before this goes back."""
    return {grade: now - timedelta(days=days) for grade, days in days_by_grade.items()}


def last_touch(assigned_at: datetime | None, last_follow_up_at: datetime | None) -> datetime | None:
    """A follow-up logged before the current assignment (by a previous owner) does not count."""
    moments = [m for m in (assigned_at, last_follow_up_at) if m is not None]
    return max(moments) if moments else None


def is_due(
    *,
    status: str,
    grade: str,
    assigned_at: datetime | None,
    last_follow_up_at: datetime | None,
    cutoffs: Mapping[str, datetime],
) -> bool:
    """Whether an assigned lead goes back to the pool now (the SQL query asks the same)."""
    touched = last_touch(assigned_at, last_follow_up_at)
    cutoff = cutoffs.get(grade)
    return status == "assigned" and touched is not None and cutoff is not None and touched < cutoff


def recycle_reason(grade: str, days: int) -> str:
    return f"not followed up within {days} days (grade {grade})"
