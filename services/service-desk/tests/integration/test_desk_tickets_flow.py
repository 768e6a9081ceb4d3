"""Tickets on the real service-desk database: SLA targets on create, the pause while waiting on the
customer, the reopen window, the complaint event, who reads and writes, optimistic concurrency,
the queue's urgency order."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from kernel.clock import isoformat
from kernel.envelope import Envelope, make_event
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from service_desk.app import ServiceDeskApp
from service_desk.handlers import ticket_reads, tickets
from service_desk.handlers.replicas import CUSTOMERS
from service_desk.storage.models import TicketRow, outbox
from service_desk_testkit import FINANCE, MANAGER, SALES1, SALES2, SUPPORT, SUPPORT2, SUPPORT_LEAD
from sqlalchemy import select

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Shanghai (the 2nd is a Wednesday)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def iso(moment: datetime) -> str | None:
    return isoformat(moment)


def events(desk: ServiceDeskApp, event_type: str | None = None) -> list[dict[str, Any]]:
    def read(unit: Any) -> list[dict[str, Any]]:
        rows = unit.session.execute(select(outbox.c.routing_key, outbox.c.body).order_by(outbox.c.seq))
        return [json.loads(r.body) for r in rows if event_type is None or r.routing_key == event_type]

    found: list[dict[str, Any]] = desk.run(SYSTEM, read)
    return found


@pytest.fixture
def acme(customer: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return customer(SALES1, "A科技有限公司", value_tier="vip")


def open_ticket(desk: ServiceDeskApp, customer_id: str, now: datetime, **fields: Any) -> dict[str, Any]:
    data = {
        "customer_id": customer_id,
        "subject": "打印机无法连接",
        "description": "客户说打印机昨天起无法连接。",
        "channel": "phone",
        "category": "fault",
        "priority": "P2",
        **fields,
    }
    ticket: dict[str, Any] = desk.run(SUPPORT, lambda unit: tickets.create_ticket(unit, data, now=now))
    return ticket


def status(desk: ServiceDeskApp, ticket: dict[str, Any], to: str, now: datetime, **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = desk.run(
        kw.pop("caller", SUPPORT), lambda unit: tickets.change_status(unit, ticket["id"], to, now=now, **kw)
    )
    return result


def test_create_sets_number_dues_and_publishes(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 17))
    assert ticket["number"] == "T-2026-000001"
    assert ticket["status"] == "new" and ticket["team_id"] == "team-support"
    assert ticket["customer_name"] == "A科技有限公司" and ticket["customer_owner_id"] == "u-sales1"
    # P2 = 2h / 16h in business hours from Wednesday 17:00
    assert ticket["first_response_due"] == iso(at(3, 10))
    assert ticket["resolution_due"] == iso(at(4, 15))
    assert ticket["allowed_statuses"] == ["in_progress", "waiting_on_customer", "resolved"]
    # the live clock: the first response, amber after 80% of its 2 business hours (96 minutes)
    assert ticket["sla_clock"] == {
        "clock": "first_response",
        "due": iso(at(3, 10)),
        "warn_at": iso(at(3, 9, 36)),
        "paused": False,
    }
    assert open_ticket(desk, acme["id"], at(2, 17))["number"] == "T-2026-000002"
    created = events(desk, "ticket.created")
    assert [e["aggregate"]["version"] for e in created] == [1, 1]
    assert created[0]["data"]["number"] == "T-2026-000001"


def test_bad_input_names_the_fields(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as bad:
        open_ticket(desk, acme["id"], at(2, 10), priority="P9", channel="fax", subject="")
    assert {e["field"] for e in bad.value.errors} == {"priority", "channel", "subject"}
    with pytest.raises(ValidationError) as blank:
        open_ticket(desk, acme["id"], at(2, 10), subject="   ")
    assert blank.value.errors[0]["field"] == "subject"
    with pytest.raises(ValidationError) as nobody:
        open_ticket(desk, acme["id"], at(2, 10), assignee_id="u-sales1")
    assert nobody.value.errors[0]["field"] == "assignee_id"
    assert events(desk) == []


def test_the_contact_must_belong_to_the_customer(
    desk: ServiceDeskApp, hub: Any, acme: dict[str, Any], customer: Callable[..., dict[str, Any]]
) -> None:
    other = customer(SALES1, "B贸易有限公司")
    theirs = hub.create_contact(SALES1, other["id"], {"name": "王五"})
    ours = hub.create_contact(SALES1, acme["id"], {"name": "张三"})
    with pytest.raises(ValidationError) as wrong:
        open_ticket(desk, acme["id"], at(2, 10), contact_id=theirs["id"])
    assert wrong.value.errors[0]["field"] == "contact_id"
    with pytest.raises(ValidationError):
        open_ticket(desk, acme["id"], at(2, 10), contact_id="no-such-contact")
    assert open_ticket(desk, acme["id"], at(2, 10), contact_id=ours["id"])["contact_id"] == ours["id"]


def test_only_support_writes(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    data = {"customer_id": acme["id"], "subject": "x", "channel": "web", "category": "request"}
    for caller in (SALES1, FINANCE, MANAGER):
        with pytest.raises(PermissionDenied):
            desk.run(caller, tickets.create_ticket, data)
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    with pytest.raises(PermissionDenied):  # the owner reads it, but may not work it
        desk.run(SALES1, tickets.add_comment, ticket["id"], {"body": "hi"})
    with pytest.raises(NotFound):  # another seller does not even see it
        desk.run(SALES2, tickets.add_comment, ticket["id"], {"body": "hi"})


def test_read_acl_of_get_and_list(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    desk.run(
        SUPPORT,
        lambda u: tickets.add_comment(u, ticket["id"], {"body": "内部备注", "visibility": "internal"}),
    )
    desk.run(
        SUPPORT,
        lambda u: tickets.add_comment(u, ticket["id"], {"body": "您好，正在处理", "visibility": "external"}),
    )
    seen_by_support = desk.run(SUPPORT2, ticket_reads.get_ticket, ticket["id"])
    assert [e["visibility"] for e in seen_by_support["timeline"]] == ["internal", "external"]
    seen_by_owner = desk.run(SALES1, ticket_reads.get_ticket, ticket["id"])
    assert [e["body"] for e in seen_by_owner["timeline"]] == ["您好，正在处理"]
    assert (
        desk.run(MANAGER, ticket_reads.get_ticket, ticket["id"])["id"] == ticket["id"]
    )  # team-east's manager
    for outsider in (SALES2, FINANCE):
        with pytest.raises(NotFound):
            desk.run(outsider, ticket_reads.get_ticket, ticket["id"])
        assert desk.run(outsider, ticket_reads.list_tickets)["items"] == []
    assert [
        t["id"] for t in desk.run(SALES1, ticket_reads.list_tickets, {"customer_id": acme["id"]})["items"]
    ] == [ticket["id"]]
    with pytest.raises(ValidationError) as bad:
        desk.run(SUPPORT, ticket_reads.list_tickets, {"status": "lost", "colour": "red"})
    assert {e["field"] for e in bad.value.errors} == {"filters.status", "filters.colour"}


def test_list_filters_and_pages(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    made = [open_ticket(desk, acme["id"], at(2, 10), priority=p) for p in ("P1", "P2", "P1")]
    desk.run(SUPPORT, tickets.assign_ticket, made[0]["id"], "u-support2")
    first = desk.run(SUPPORT, ticket_reads.list_tickets, {"priority": "P1"}, None, 1)
    assert [t["id"] for t in first["items"]] == [made[2]["id"]]
    second = desk.run(SUPPORT, ticket_reads.list_tickets, {"priority": "P1"}, first["next_cursor"], 1)
    assert [t["id"] for t in second["items"]] == [made[0]["id"]] and second["next_cursor"] is None
    mine = desk.run(SUPPORT, ticket_reads.list_tickets, {"assignee": "u-support2"})
    assert [t["id"] for t in mine["items"]] == [made[0]["id"]]


def test_first_external_reply_meets_the_first_response(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    after_note = desk.run(
        SUPPORT,
        lambda u: tickets.add_comment(
            u, ticket["id"], {"body": "查日志", "visibility": "internal"}, now=at(2, 10, 30)
        ),
    )
    assert after_note["first_responded_at"] is None
    replied = desk.run(
        SUPPORT, lambda u: tickets.add_comment(u, ticket["id"], {"body": "已收到"}, now=at(2, 11))
    )
    assert replied["first_responded_at"] == iso(at(2, 11))
    again = desk.run(
        SUPPORT, lambda u: tickets.add_comment(u, ticket["id"], {"body": "又一条"}, now=at(2, 13))
    )
    assert again["first_responded_at"] == iso(at(2, 11))
    with pytest.raises(ValidationError):
        desk.run(SUPPORT, tickets.add_comment, ticket["id"], {"body": "x", "visibility": "public"})


def test_waiting_pauses_and_pushes_the_dues_out(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))  # P2: first response 12:00, resolution Thu 17:00
    assert (ticket["first_response_due"], ticket["resolution_due"]) == (iso(at(2, 12)), iso(at(3, 17)))
    waiting = status(desk, ticket, "waiting_on_customer", at(2, 11))
    assert waiting["paused_at"] == iso(at(2, 11)) and waiting["sla_state"] == "paused"
    # back Thursday 10:00: 7h Wednesday + 1h Thursday = 8 business hours paused
    back = status(desk, ticket, "in_progress", at(3, 10))
    assert back["paused_at"] is None
    assert back["first_response_due"] == iso(at(3, 11))
    assert back["resolution_due"] == iso(at(4, 16))
    sla = [e for e in back["timeline"] if e["kind"] == "sla"]
    assert [e["data"]["event"] for e in sla] == ["paused", "resumed"]
    assert sla[1]["data"]["paused_seconds"] == 8 * 3600
    # a met first response does not move again
    desk.run(SUPPORT, lambda u: tickets.add_comment(u, ticket["id"], {"body": "好的"}, now=at(3, 10, 30)))
    status(desk, ticket, "waiting_on_customer", at(3, 12))
    final = status(desk, ticket, "resolved", at(3, 14))
    assert final["first_response_due"] == iso(at(3, 11))
    assert final["resolution_due"] == iso(at(4, 18))
    assert final["sla_state"] == "met"


def test_reopen_within_the_window_and_closed_is_final(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    status(desk, ticket, "in_progress", at(2, 10, 5))
    resolved = status(desk, ticket, "resolved", at(2, 15))
    assert resolved["resolved_at"] == iso(at(2, 15)) and resolved["first_responded_at"] == iso(at(2, 15))
    reopened = status(desk, ticket, "in_progress", at(8, 15))  # 6 days later: within 7
    assert reopened["reopened_count"] == 1 and reopened["resolved_at"] is None
    status(desk, ticket, "resolved", at(9, 10))
    with pytest.raises(Conflict) as late:
        status(desk, ticket, "in_progress", at(16, 10, 1))
    assert late.value.errors[0]["allowed"] == ["closed"]
    closed = status(desk, ticket, "closed", at(16, 11))
    assert closed["closed_at"] == iso(at(16, 11)) and closed["allowed_statuses"] == []
    with pytest.raises(Conflict) as final:
        status(desk, ticket, "in_progress", at(16, 12))
    assert final.value.errors[0]["allowed"] == []
    with pytest.raises(Conflict):
        desk.run(SUPPORT, tickets.add_comment, ticket["id"], {"body": "还在吗"})
    kinds = [e["type"] for e in events(desk) if e["aggregate"]["type"] == "ticket"]
    assert kinds == [
        "ticket.created",
        "ticket.updated",
        "ticket.resolved",
        "ticket.reopened",
        "ticket.resolved",
        "ticket.closed",
    ]
    assert kinds.count("ticket.resolved") == 2 and kinds.count("ticket.closed") == 1


def test_a_bad_transition_names_the_allowed_ones(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    with pytest.raises(Conflict) as bad:
        status(desk, ticket, "closed", at(2, 11))
    assert bad.value.errors[0]["allowed"] == ["in_progress", "waiting_on_customer", "resolved"]
    with pytest.raises(ValidationError) as unknown:
        status(desk, ticket, "done", at(2, 11))
    assert unknown.value.errors[0]["field"] == "status"


def test_auto_close_after_the_reopen_window(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    status(desk, ticket, "resolved", at(2, 11))
    assert desk.run(SYSTEM, tickets.close_resolved, at(9, 10)) == 0
    assert desk.run(SYSTEM, tickets.close_resolved, at(9, 12)) == 1
    assert desk.run(SUPPORT, ticket_reads.get_ticket, ticket["id"])["status"] == "closed"


def test_if_match_conflicts(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    assert ticket["version"] == 1
    updated = desk.run(SUPPORT, tickets.update_ticket, ticket["id"], {"subject": "网络故障"}, 1)
    assert updated["version"] == 2 and updated["subject"] == "网络故障"
    for call in (
        lambda u: tickets.update_ticket(u, ticket["id"], {"subject": "旧版本"}, 1),
        lambda u: tickets.change_status(u, ticket["id"], "in_progress", 1),
        lambda u: tickets.assign_ticket(u, ticket["id"], "u-support", 1),
    ):
        with pytest.raises(Conflict) as stale:
            desk.run(SUPPORT, call)
        assert stale.value.errors[0]["field"] == "version"
    with pytest.raises(ValidationError) as null:
        desk.run(SUPPORT, tickets.update_ticket, ticket["id"], {"priority": None})
    assert null.value.errors[0]["field"] == "priority"
    audit = desk.run(SYSTEM, lambda u: u.session.execute(select(TicketRow.version)).scalars().all())
    assert audit == [2]


def test_reprioritizing_recomputes_the_dues(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10), priority="P3")
    urgent = desk.run(
        SUPPORT, lambda u: tickets.update_ticket(u, ticket["id"], {"priority": "P1"}, now=at(2, 10, 5))
    )
    assert (urgent["first_response_due"], urgent["resolution_due"]) == (iso(at(2, 10, 30)), iso(at(2, 14)))


def test_assignment_goes_to_support_and_into_the_timeline(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    assigned = desk.run(SUPPORT_LEAD, tickets.assign_ticket, ticket["id"], "u-support2")
    assert assigned["assignee_id"] == "u-support2"
    assert assigned["timeline"][-1]["kind"] == "assignment"
    assert assigned["timeline"][-1]["data"] == {"from": None, "to": "u-support2"}
    with pytest.raises(ValidationError):
        desk.run(SUPPORT_LEAD, tickets.assign_ticket, ticket["id"], "u-sales1")
    assert desk.run(SUPPORT_LEAD, tickets.assign_ticket, ticket["id"], None)["assignee_id"] is None


def test_a_complaint_raises_the_customers_risk(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    open_ticket(desk, acme["id"], at(2, 10), category="complaint", priority="P1")
    second = open_ticket(desk, acme["id"], at(2, 11), category="fault")
    desk.run(SUPPORT, tickets.update_ticket, second["id"], {"category": "complaint"})
    raised = events(desk, "customer.complaint_raised")
    assert [e["aggregate"] for e in raised] == [
        {"type": "customer_complaints", "id": acme["id"], "version": 1},
        {"type": "customer_complaints", "id": acme["id"], "version": 2},
    ]
    assert [e["data"]["open_complaints"] for e in raised] == [1, 2]
    assert raised[1]["data"]["ticket_number"] == second["number"]


def test_attachments_are_metadata_with_a_size_limit(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    meta = {
        "filename": "日志.txt",
        "content_type": "text/plain",
        "size_bytes": 2048,
        "storage_key": "t/1/log",
    }
    saved = desk.run(SUPPORT, tickets.add_attachment, ticket["id"], meta)
    assert [(a["filename"], a["size_bytes"]) for a in saved["attachments"]] == [("日志.txt", 2048)]
    for bad in ({"size_bytes": 10**12}, {"size_bytes": 1.5}, {"content_type": "text"}):
        with pytest.raises(ValidationError) as refused:
            desk.run(SUPPORT, tickets.add_attachment, ticket["id"], {**meta, **bad})
        assert refused.value.errors[0]["field"] in bad


def test_the_queue_most_urgent_first_paused_last(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    p3 = open_ticket(desk, acme["id"], at(2, 9), priority="P3")  # first response 13:00
    p1 = open_ticket(desk, acme["id"], at(2, 10), priority="P1")  # first response 10:30
    responded = open_ticket(desk, acme["id"], at(2, 9), priority="P1")  # resolution 13:00 after reply
    desk.run(SUPPORT, lambda u: tickets.add_comment(u, responded["id"], {"body": "在处理"}, now=at(2, 9, 10)))
    paused = open_ticket(desk, acme["id"], at(2, 9), priority="P1")
    status(desk, paused, "waiting_on_customer", at(2, 9, 5))
    done = open_ticket(desk, acme["id"], at(2, 9), priority="P1")
    status(desk, done, "resolved", at(2, 9, 5))
    desk.run(SUPPORT, tickets.assign_ticket, p3["id"], "u-support2")

    queue = desk.run(SUPPORT, ticket_reads.ticket_queue)
    assert [t["id"] for t in queue["items"]] == [p1["id"], p3["id"], responded["id"], paused["id"]]
    page = desk.run(SUPPORT, ticket_reads.ticket_queue, None, None, 2)
    rest = desk.run(SUPPORT, ticket_reads.ticket_queue, None, page["next_cursor"], 2)
    assert [t["id"] for t in page["items"] + rest["items"]] == [t["id"] for t in queue["items"]]
    assert rest["next_cursor"] is None
    mine = desk.run(SUPPORT2, ticket_reads.ticket_queue, {"assignee": "u-support2"})
    assert [t["id"] for t in mine["items"]] == [p3["id"]]
    assert desk.run(SALES2, ticket_reads.ticket_queue)["items"] == []
    with pytest.raises(ValidationError):
        desk.run(SUPPORT, ticket_reads.ticket_queue, {"status": "resolved"})


def customer_changed(event_type: str, customer: dict[str, Any], **changes: Any) -> Envelope:
    """The customers service's next event about ``customer``, with ``changes`` applied."""
    return make_event(
        type=event_type,
        source="customers",
        aggregate_type="customer",
        aggregate_id=customer["id"],
        version=customer["version"] + 1,
        actor_id="u-admin",
        data={**customer, **changes},
    )


def test_a_customer_change_republishes_its_tickets(
    desk: ServiceDeskApp, hub: Any, acme: dict[str, Any]
) -> None:
    ticket = open_ticket(desk, acme["id"], at(2, 10))
    event = customer_changed("customer.transferred", acme, owner_id="u-sales2", team_id="team-south")
    desk.run(SYSTEM, CUSTOMERS.changed, event)
    moved = desk.run(SALES2, ticket_reads.get_ticket, ticket["id"])
    assert moved["customer_owner_id"] == "u-sales2" and moved["version"] == 2
    with pytest.raises(NotFound):
        desk.run(SALES1, ticket_reads.get_ticket, ticket["id"])


def test_now_defaults_to_the_clock(desk: ServiceDeskApp, acme: dict[str, Any]) -> None:
    data = {"customer_id": acme["id"], "subject": "x", "channel": "web", "category": "request"}
    made = desk.run(SUPPORT, tickets.create_ticket, data)
    created = datetime.fromisoformat(made["created_at"])
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("replica_knew_the_customer", [True, False])
def test_a_ticket_opened_while_its_customer_is_renamed_gets_the_new_name(
    desk: ServiceDeskApp, acme: dict[str, Any], replica_knew_the_customer: bool
) -> None:
    """The rename's consumer and the ticket's unit ran at once: the rename found no ticket to
    re-publish, the ticket committed with the old name, and search never found it by the new one
    (seen in the scale-out test). Now whichever commits second sees the other."""
    if replica_knew_the_customer:
        open_ticket(desk, acme["id"], at(2, 9))  # the replica holds version 1 (the old name)
    made, release = threading.Event(), threading.Event()

    def open_and_hold(unit: Any) -> dict[str, Any]:
        data = {"customer_id": acme["id"], "subject": "断网", "channel": "phone", "category": "fault"}
        ticket = tickets.create_ticket(unit, data, now=at(2, 10))
        made.set()
        assert release.wait(30)  # the unit stays open (not committed) meanwhile
        return ticket

    renamed = customer_changed("customer.updated", acme, name="A科技集团有限公司")
    with ThreadPoolExecutor(2) as pool:
        opening = pool.submit(desk.run, SUPPORT, open_and_hold)
        assert made.wait(30)
        renaming = pool.submit(desk.run, SYSTEM, CUSTOMERS.changed, renamed)
        time.sleep(0.5)  # unlocked, the rename would be done by now, having re-published nothing
        release.set()
        ticket = opening.result(timeout=30)
        renaming.result(timeout=30)
    now = desk.run(SUPPORT, ticket_reads.get_ticket, ticket["id"])
    assert now["customer_name"] == "A科技集团有限公司"
    republished = [e for e in events(desk, "ticket.updated") if e["aggregate"]["id"] == ticket["id"]]
    assert [e["data"]["customer_name"] for e in republished] == ["A科技集团有限公司"]
