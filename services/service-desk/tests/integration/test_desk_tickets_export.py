"""A reindex rebuilds what the events built: a ticket's export carries the aggregate and the state
of the newest event about it (the SLA state is re-derived at export time, so both are read at
the same moment here: the tickets' clocks are far from their targets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kernel.identity import SYSTEM
from service_desk.app import ServiceDeskApp
from service_desk.handlers import export, tickets
from service_desk_testkit import SALES1, SUPPORT
from sqlalchemy import text


def _latest_events(desk: ServiceDeskApp) -> dict[tuple[str, str], dict[str, Any]]:
    def read(unit: Any) -> list[Any]:
        return list(unit.session.execute(text("SELECT body FROM outbox ORDER BY seq")).scalars())

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for body in desk.run(SYSTEM, read):
        event = body if isinstance(body, dict) else json.loads(body)
        latest[(event["aggregate"]["type"], event["aggregate"]["id"])] = event
    return latest


def test_a_ticket_exports_the_state_its_last_event_carried(
    desk: ServiceDeskApp, customer: Callable[..., dict[str, Any]]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    data = {
        "customer_id": acme["id"],
        "subject": "网络故障",
        "channel": "web",
        "category": "fault",
        "priority": "P4",
    }
    first = desk.run(SUPPORT, tickets.create_ticket, data)
    second = desk.run(SUPPORT, tickets.create_ticket, {**data, "subject": "咨询"})
    desk.run(SUPPORT, tickets.add_comment, first["id"], {"body": "已收到"})
    desk.run(SUPPORT, tickets.change_status, second["id"], "resolved")

    events = _latest_events(desk)
    page = desk.run(SYSTEM, export.export, "ticket")
    assert {item["aggregate"]["id"] for item in page["items"]} == {first["id"], second["id"]}
    for item in page["items"]:
        event = events[("ticket", item["aggregate"]["id"])]
        assert item["aggregate"]["version"] == event["aggregate"]["version"]
        assert item["data"] == event["data"]
