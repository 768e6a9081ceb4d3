"""Tickets through the real Elasticsearch: a ticket number finds it; support and the customer's
seller find it by the customer's name, finance and other sellers never do."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.identity import Caller
from kernel.ids import new_id
from search.documents import to_index_op
from search.es import settings_index_body
from search.indices import ensure_index
from search.query import SearchEngine
from search.record import Record
from service_desk.contracts.tickets import Ticket

pytestmark = pytest.mark.integration

RUN = new_id()[-8:]
SUPPORT = Caller(f"u-sup-{RUN}", ("support",), f"team-support-{RUN}")
SELLER = Caller(f"u-s1-{RUN}", ("sales",), f"team-east-{RUN}")
OTHER = Caller(f"u-s2-{RUN}", ("sales",), f"team-south-{RUN}")
FINANCE = Caller(f"u-fin-{RUN}", ("finance",), None)


def ticket(number: str, subject: str) -> dict[str, Any]:
    data: dict[str, Any] = Ticket.model_validate(
        {
            "id": new_id(),
            "version": 2,
            "number": number,
            "customer_id": new_id(),
            "customer_name": "A科技有限公司",
            "customer_owner_id": SELLER.user_id,
            "customer_team_id": SELLER.team_id,
            "subject": subject,
            "description": "",
            "channel": "phone",
            "category": "fault",
            "priority": "P1",
            "status": "new",
            "created_by": SUPPORT.user_id,
            "first_response_due": "2026-12-03T02:00:00Z",
            "resolution_due": "2026-12-04T07:00:00Z",
            "sla_state": "ok",
            "created_at": "2026-12-02T09:00:00Z",
            "updated_at": "2026-12-02T09:00:00Z",
        }
    ).model_dump(mode="json")
    return data


@pytest.fixture(scope="module")
def world(es: Any, search_settings: Any) -> dict[str, Any]:
    alias = f"{search_settings.search_alias}-desk-tickets"
    ensure_index(es, alias, settings_index_body(search_settings))
    first = ticket(f"T-2026-{RUN[-6:]}", "打印机无法连接")
    second = ticket(f"T-2027-{RUN[-6:]}", "发票抬头错误")
    for data in (first, second):
        op = to_index_op(Record("ticket", data["id"], data["version"], data["customer_id"], data))
        es.index(index=alias, id=op.doc_id, document=op.source, version=op.version, version_type="external")
    es.indices.refresh(index=alias)
    return {"engine": SearchEngine(es, alias), "first": first, "second": second}


def found(world: dict[str, Any], caller: Caller, q: str) -> list[str]:
    return [item["id"] for item in world["engine"].search(caller, q, kinds=["ticket"])["items"]]


def test_a_ticket_number_finds_it(world: dict[str, Any]) -> None:
    items = world["engine"].search(SUPPORT, world["first"]["number"])["items"]
    assert (items[0]["kind"], items[0]["id"], items[0]["number"]) == (
        "ticket",
        world["first"]["id"],
        world["first"]["number"],
    )
    assert world["second"]["id"] not in {item["id"] for item in items}


def test_who_finds_the_customers_tickets(world: dict[str, Any]) -> None:
    both = {world["first"]["id"], world["second"]["id"]}
    assert set(found(world, SUPPORT, "A科技")) == both
    assert set(found(world, SELLER, "A科技")) == both
    assert found(world, FINANCE, "A科技") == [] and found(world, FINANCE, world["first"]["number"]) == []
    assert found(world, OTHER, "A科技") == []
