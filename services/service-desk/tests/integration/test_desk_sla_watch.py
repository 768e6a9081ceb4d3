"""The SLA timer: near-breach (80 %) and breach, each once per clock and kind, across repeated
checks; paused tickets stay quiet; the right people are told once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from desk_ticket_fixtures import add_ticket, change_ticket
from kernel.errors import NotFound
from kernel.identity import SYSTEM
from service_desk.app import ServiceDeskApp
from service_desk.contracts import EVENT_SCHEMAS
from service_desk.handlers import notifications, sla_watch
from service_desk.storage.models import NotificationRow, TicketEntryRow, TicketRow, outbox
from service_desk_testkit import SALES1, SUPPORT, SUPPORT2, SUPPORT_LEAD
from sqlalchemy import select

pytestmark = pytest.mark.integration

# Monday 2026-12-07, 09:00 in Shanghai (the business day is 09:00–18:00 there)
MONDAY_9 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in Shanghai on December ``day`` 2026, in UTC."""
    return datetime(2026, 12, day, hour - 8, minute, tzinfo=UTC)


def check(desk: ServiceDeskApp, now: datetime, batch: int = sla_watch.BATCH) -> list[tuple[str, str]]:
    alerts: list[tuple[str, str]] = []
    after = None
    while True:
        sweep = desk.run(SYSTEM, sla_watch.check_sla, now, batch, after)
        alerts += sweep.alerts
        if sweep.checked < batch:
            return alerts
        after = sweep.last_id


def events(desk: ServiceDeskApp, event_type: str) -> list[dict[str, Any]]:
    def read(unit: Any) -> list[dict[str, Any]]:
        bodies = unit.session.scalars(
            select(outbox.c.body).where(outbox.c.routing_key == event_type).order_by(outbox.c.seq)
        )
        found = [json.loads(b) for b in bodies]
        for event in found:
            EVENT_SCHEMAS[event_type].model_validate(event["data"])
        return found

    return desk.run(SYSTEM, read)  # type: ignore[no-any-return]


def told(desk: ServiceDeskApp) -> set[tuple[str, str]]:
    rows = desk.run(SYSTEM, lambda unit: list(unit.session.scalars(select(NotificationRow))))
    return {(r.kind, r.user_id) for r in rows}


@pytest.fixture
def acme(customer: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return customer(SALES1, "A科技有限公司", value_tier="vip")


def test_each_clock_alerts_once_per_kind_across_repeated_checks(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = add_ticket(desk, acme, created_at=MONDAY_9, priority="P2")  # 2 h / 16 h business
    assert check(desk, sh(7, 9, 30)) == []
    assert check(desk, sh(7, 10, 40)) == [(ticket["id"], "first_response:near_breach")]  # 80 % of 2 h: 10:36
    assert check(desk, sh(7, 10, 50)) == []
    assert check(desk, sh(7, 11, 1)) == [(ticket["id"], "first_response:breached")]
    assert check(desk, sh(7, 17, 59)) == []
    # resolution: 16 business hours from Monday 09:00 is Tuesday 16:00; 80 % at Tuesday 12:48
    assert check(desk, sh(8, 12, 47)) == []
    assert check(desk, sh(8, 12, 49)) == [(ticket["id"], "resolution:near_breach")]
    assert check(desk, sh(8, 16, 1)) == [(ticket["id"], "resolution:breached")]
    for later in (sh(8, 17), sh(9, 10), sh(14, 10)):
        assert check(desk, later) == []

    near, breached = events(desk, "ticket.sla_near_breach"), events(desk, "ticket.sla_breached")
    assert len(near) == 2 and len(breached) == 2
    assert [e["aggregate"]["version"] for e in near + breached] == [2, 4, 3, 5]
    assert breached[-1]["data"]["sla_state"] == "breached"
    row = desk.run(SYSTEM, lambda unit: unit.session.get(TicketRow, ticket["id"]))
    assert sorted(row.sla_alerts) == sorted(
        [
            "first_response:near_breach",
            "first_response:breached",
            "resolution:near_breach",
            "resolution:breached",
        ]
    )
    entries = desk.run(
        SYSTEM,
        lambda unit: list(unit.session.scalars(select(TicketEntryRow).where(TicketEntryRow.kind == "sla"))),
    )
    assert len(entries) == 4 and all(e.visibility == "internal" for e in entries)
    # near-breach to the assignee; a breach to the assignee and the support team's managers
    assert told(desk) == {
        ("sla_near_breach:first_response", "u-support"),
        ("sla_breached:first_response", "u-support"),
        ("sla_breached:first_response", "u-support-lead"),
        ("sla_near_breach:resolution", "u-support"),
        ("sla_breached:resolution", "u-support"),
        ("sla_breached:resolution", "u-support-lead"),
    }


def test_a_clock_first_seen_breached_sends_only_the_breach(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = add_ticket(desk, acme, created_at=MONDAY_9, priority="P1")  # 30 min / 4 h
    alerts = check(desk, sh(8, 10))
    assert alerts == [(ticket["id"], "first_response:breached"), (ticket["id"], "resolution:breached")]
    assert events(desk, "ticket.sla_near_breach") == []
    assert check(desk, sh(8, 11)) == []


def test_paused_and_answered_clocks_stay_quiet(desk: ServiceDeskApp, acme: dict) -> None:
    paused = add_ticket(desk, acme, created_at=MONDAY_9, priority="P1")
    change_ticket(desk, paused["id"], sh(7, 9, 10), status="waiting_on_customer", paused_at=sh(7, 9, 10))
    answered = add_ticket(desk, acme, created_at=MONDAY_9, priority="P1")
    change_ticket(desk, answered["id"], sh(7, 9, 5), status="in_progress", first_responded_at=sh(7, 9, 5))
    resolved = add_ticket(desk, acme, created_at=MONDAY_9, priority="P1")
    change_ticket(desk, resolved["id"], sh(7, 9, 20), status="resolved", resolved_at=sh(7, 9, 20))

    assert check(desk, sh(7, 12)) == []
    assert check(desk, sh(7, 12, 15)) == [(answered["id"], "resolution:near_breach")]  # 80 % of 4 h: 12:12
    assert check(desk, sh(7, 13, 5)) == [(answered["id"], "resolution:breached")]
    assert check(desk, sh(9, 9)) == []  # the paused one never, however late


def test_unassigned_tickets_warn_the_support_managers(desk: ServiceDeskApp, acme: dict) -> None:
    add_ticket(desk, acme, created_at=MONDAY_9, priority="P2", assignee_id=None)
    check(desk, sh(7, 10, 40))
    assert told(desk) == {("sla_near_breach:first_response", "u-support-lead")}


def test_batches_page_through_every_ticket(desk: ServiceDeskApp, acme: dict) -> None:
    tickets = [add_ticket(desk, acme, created_at=MONDAY_9, priority="P1") for _ in range(5)]
    first = desk.run(SYSTEM, sla_watch.check_sla, sh(7, 9, 30), 2, None)
    assert first.checked == 2 and first.alerts == [(t["id"], "first_response:breached") for t in tickets[:2]]
    assert len(check(desk, sh(7, 9, 30), batch=2)) == 3  # the other three, batch after batch
    assert check(desk, sh(7, 9, 31), batch=2) == []


def test_the_callers_notifications_and_the_read_mark(desk: ServiceDeskApp, acme: dict) -> None:
    add_ticket(desk, acme, created_at=MONDAY_9, priority="P1")
    check(desk, sh(7, 9, 30))
    mine = desk.run(SUPPORT, notifications.list_notifications)
    assert [n["kind"] for n in mine["items"]] == ["sla_breached:first_response"]
    assert "SLA" in mine["items"][0]["message"] and mine["next_cursor"] is None
    assert desk.run(SUPPORT2, notifications.list_notifications)["items"] == []
    note = mine["items"][0]
    with pytest.raises(NotFound):
        desk.run(SUPPORT_LEAD, notifications.mark_notification_read, note["id"])  # not theirs
    read = desk.run(SUPPORT, notifications.mark_notification_read, note["id"])
    assert read["read_at"] is not None
    assert desk.run(SUPPORT, notifications.list_notifications, True)["items"] == []
