"""Ticket rules, framework-free: the status machine with its reopen window, the SLA targets per
priority, how a pause pushes the targets out, and the queue's urgency order."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from service_desk.contracts.tickets import OPEN_STATUSES, TRANSITIONS
from service_desk.domain.sla import (
    DEFAULT_TARGETS,
    BusinessCalendar,
    add_business_time,
    business_time_between,
)

Targets = Mapping[str, tuple[timedelta, timedelta]]
_SPAN = re.compile(r"^(\d{1,5})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_targets(text: str) -> dict[str, tuple[timedelta, timedelta]]:
    """Settings text "P1=30m/4h,P2=2h/16h" over the defaults (``d`` is 24 business hours)."""
    targets = dict(DEFAULT_TARGETS)
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        priority, _, spans = item.partition("=")
        first, _, resolution = spans.partition("/")
        if priority.strip() not in DEFAULT_TARGETS:
            raise ValueError(f"SLA targets: unknown priority {priority!r}")
        pair = (_span(first), _span(resolution))
        if pair[0] > pair[1]:
            raise ValueError(f"SLA targets: {priority} first response is after resolution")
        targets[priority.strip()] = pair
    return targets


def _span(text: str) -> timedelta:
    match = _SPAN.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"SLA targets: {text!r} is not a span like 30m, 4h or 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def allowed_next(
    status: str, resolved_at: datetime | None, now: datetime, reopen_days: int
) -> tuple[str, ...]:
    """Where a ticket may go from ``status`` now: a resolved ticket reopens (→ in_progress)
    only within ``reopen_days`` of its resolution; closed is final."""
    options = TRANSITIONS.get(status, ())
    if status == "resolved" and (resolved_at is None or now > resolved_at + timedelta(days=reopen_days)):
        options = tuple(s for s in options if s != "in_progress")
    return options


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


@dataclass(frozen=True)
class Dues:
    first_response: datetime
    resolution: datetime


def due_times(calendar: BusinessCalendar, created_at: datetime, priority: str, targets: Targets) -> Dues:
    first, resolution = targets[priority]
    return Dues(
        add_business_time(calendar, created_at, first), add_business_time(calendar, created_at, resolution)
    )


def resumed(
    calendar: BusinessCalendar, dues: Dues, paused_at: datetime, now: datetime, *, first_response_met: bool
) -> tuple[Dues, timedelta]:
    """Leaving "waiting on customer": each unmet target moves out by the business time paused."""
    paused = business_time_between(calendar, paused_at, now)
    first = (
        dues.first_response
        if first_response_met
        else add_business_time(calendar, dues.first_response, paused)
    )
    return Dues(first, add_business_time(calendar, dues.resolution, paused)), paused


def reprioritized(
    calendar: BusinessCalendar,
    created_at: datetime,
    old: Dues,
    old_priority: str,
    new_priority: str,
    targets: Targets,
) -> Dues:
    """New targets from ``created_at`` for ``new_priority``, keeping the pauses already added
    (the business time by which the old dues exceed their targets)."""
    old_first, old_resolution = targets[old_priority]
    first, resolution = targets[new_priority]
    first_pause = max(
        timedelta(0), business_time_between(calendar, created_at, old.first_response) - old_first
    )
    resolution_pause = max(
        timedelta(0), business_time_between(calendar, created_at, old.resolution) - old_resolution
    )
    return Dues(
        add_business_time(calendar, created_at, first + first_pause),
        add_business_time(calendar, created_at, resolution + resolution_pause),
    )


def urgency(
    first_response_due: datetime, resolution_due: datetime, first_responded_at: datetime | None
) -> datetime:
    """The nearer of the unmet due times (the SQL queue order is the same expression)."""
    return resolution_due if first_responded_at is not None else min(first_response_due, resolution_due)


def queue_key(
    *,
    paused: bool,
    first_response_due: datetime,
    resolution_due: datetime,
    first_responded_at: datetime | None,
    id: str,
) -> tuple[bool, datetime, str]:
    """Most urgent first, paused tickets last, ties by id."""
    return (paused, urgency(first_response_due, resolution_due, first_responded_at), id)
