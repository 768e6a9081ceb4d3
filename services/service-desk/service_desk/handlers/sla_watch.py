"""The SLA timer's use case: near-breach (80 % of a clock's business time) and breach, each once
per clock and kind.

For every open, unpaused ticket whose alerts are not all sent, each clock (first response,
unless met; resolution) is measured; a state reached for the first time is recorded in
``tickets.sla_alerts`` ("resolution:near_breach"), published as ``ticket.sla_near_breach`` /
``ticket.sla_breached`` (through ``ticket_state.publish``: version, event, audit together), put
on the timeline (kind "sla") and told to people (``notifications``, once each). A clock found
already breached records its near-breach too, so a pause that moves the target out never
announces the lesser alarm after the greater.

Several instances share the work: each batch row-locks its tickets ``FOR UPDATE SKIP LOCKED`` (a
ticket being edited is looked at on the next tick), and "once" rests on ``sla_alerts`` read under
that lock, not on the timer's memory. The clock is injectable (``now``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from kernel.ids import new_id
from sqlalchemy import and_, cast, not_, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from service_desk.contracts.notifications import SLA_BREACHED_KIND, SLA_NEAR_BREACH_KIND
from service_desk.contracts.tickets import TICKET_SLA_BREACHED, TICKET_SLA_NEAR_BREACH
from service_desk.handlers import ticket_state
from service_desk.handlers.notifications import notify, support_managers
from service_desk.storage.models import TicketEntryRow, TicketRow
from service_desk.storage.unit import ServiceDeskUnit

BATCH = 200
OPEN = ("new", "in_progress", "waiting_on_customer")
CLOCKS = ("first_response", "resolution")
CLOCK_LABELS = {"first_response": "首次响应 first response", "resolution": "解决 resolution"}


@dataclass
class Sweep:
    """One batch: how many tickets were looked at, the last one's id (the next batch starts after
    it), and the alerts sent as (ticket id, "clock:kind")."""

    checked: int = 0
    last_id: str | None = None
    alerts: list[tuple[str, str]] = field(default_factory=list)


def _has(alert: str):  # type: ignore[no-untyped-def]
    return TicketRow.sla_alerts.contains(cast([alert], JSONB))


def _something_left():  # type: ignore[no-untyped-def]
    """SQL: some clock can still alert (resolution not breached yet, or first response open
    and not breached yet)."""
    return or_(
        not_(_has("resolution:breached")),
        and_(TicketRow.first_responded_at.is_(None), not_(_has("first_response:breached"))),
    )


def due_alerts(row: TicketRow, now: datetime) -> list[tuple[str, str]]:
    """(clock, kind) reached and not recorded yet: "near_breach" or "breached" (a breach first
    seen records the near-breach silently, see the module's doc)."""
    if row.status not in OPEN or row.paused_at is not None:
        return []
    states = ticket_state.clocks(row, now)
    sent = set(row.sla_alerts or [])
    found = []
    for clock in CLOCKS:
        if clock == "first_response" and row.first_responded_at is not None:
            continue
        state = states[clock]
        if state in ("near_breach", "breached") and f"{clock}:{state}" not in sent:
            found.append((clock, state))
    return found


def check_sla(
    unit: ServiceDeskUnit, now: datetime | None = None, batch: int = BATCH, after: str | None = None
) -> Sweep:
    """One batch of open, unpaused tickets (by id, after ``after``); run again while
    ``sweep.checked == batch`` with ``after=sweep.last_id``."""
    moment = now or utcnow()
    stmt = (
        select(TicketRow)
        .where(TicketRow.status.in_(OPEN), TicketRow.paused_at.is_(None), _something_left())
        .order_by(TicketRow.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    if after is not None:
        stmt = stmt.where(TicketRow.id > after)
    rows = list(unit.session.scalars(stmt))
    sweep = Sweep(checked=len(rows), last_id=rows[-1].id if rows else None)
    managers: dict[str | None, list[str]] = {}  # per support team, once per batch
    for row in rows:
        for clock, kind in due_alerts(row, moment):
            if row.team_id not in managers:
                managers[row.team_id] = support_managers(unit, row.team_id)
            _alert(unit, row, clock, kind, moment, managers[row.team_id])
            sweep.alerts.append((row.id, f"{clock}:{kind}"))
    return sweep


def _alert(
    unit: ServiceDeskUnit, row: TicketRow, clock: str, kind: str, now: datetime, managers: list[str]
) -> None:
    before = list(row.sla_alerts or [])
    recorded = [f"{clock}:near_breach", f"{clock}:breached"] if kind == "breached" else [f"{clock}:{kind}"]
    row.sla_alerts = before + [a for a in recorded if a not in before]
    due = row.first_response_due if clock == "first_response" else row.resolution_due
    label = CLOCK_LABELS[clock]
    if kind == "breached":
        body = f"SLA 已超时：{label}（应于 {isoformat(due)}）"
        message = (
            f"工单 {row.number} 的{label} SLA 已超时（{row.subject}）。"
            f"Ticket {row.number}: {clock} SLA breached."
        )
    else:
        body = f"SLA 即将超时：{label}（应于 {isoformat(due)}）"
        message = (
            f"工单 {row.number} 的{label} SLA 即将超时（已用 80%，{row.subject}）。"
            f"Ticket {row.number}: {clock} SLA near breach."
        )
    data = {"clock": clock, "state": kind, "due": isoformat(due), "ticket_number": row.number}
    unit.session.add(
        TicketEntryRow(
            id=new_id(),
            ticket_id=row.id,
            kind="sla",
            visibility="internal",
            body=body,
            data=data,
            actor_id=unit.caller.user_id,
            at=now,
        )
    )
    first = [row.assignee_id] if row.assignee_id else managers
    told = first + managers if kind == "breached" else first
    notify(
        unit,
        told,
        kind=f"{SLA_BREACHED_KIND if kind == 'breached' else SLA_NEAR_BREACH_KIND}:{clock}",
        subject_id=row.id,
        customer_id=row.customer_id,
        message=message,
        data={**data, "ticket_id": row.id},
        now=now,
    )
    event_type = TICKET_SLA_BREACHED if kind == "breached" else TICKET_SLA_NEAR_BREACH
    ticket_state.publish(
        unit,
        row,
        changes=diff({"sla_alerts": before}, {"sla_alerts": row.sla_alerts}),
        event_type=event_type,
        now=now,
    )
