"""The ticket document: customer name, number, SLA state, and the ACL of service_desk.policy
(support reads every ticket; the customer's seller and their manager theirs; finance none)."""

from __future__ import annotations

from typing import Any

from kernel.identity import Caller
from kernel.ids import new_id
from search.documents import to_index_op
from search.mapping import PROPERTIES
from search.record import Record
from service_desk.contracts.tickets import Ticket
from service_desk.policy import READ

SUPPORT = Caller("u-support", ("support",), "team-support")
SELLER = Caller("u-s1", ("sales",), "team-east")
OTHER_SELLER = Caller("u-s2", ("sales",), "team-south")
MANAGER = Caller("u-mgr", ("manager",), "team-east")
FINANCE = Caller("u-fin", ("finance",), None)


def ticket(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": new_id(),
        "version": 3,
        "number": "T-2026-000042",
        "customer_id": new_id(),
        "customer_name": "A科技有限公司",
        "customer_owner_id": SELLER.user_id,
        "customer_team_id": SELLER.team_id,
        "subject": "打印机无法连接",
        "description": "客户说打印机昨天起无法连接。",
        "channel": "phone",
        "category": "fault",
        "priority": "P2",
        "status": "in_progress",
        "assignee_id": SUPPORT.user_id,
        "team_id": SUPPORT.team_id,
        "created_by": SUPPORT.user_id,
        "first_response_due": "2026-12-03T02:00:00Z",
        "resolution_due": "2026-12-04T07:00:00Z",
        "sla_state": "near_breach",
        "created_at": "2026-12-02T09:00:00Z",
        "updated_at": "2026-12-02T09:30:00Z",
        **overrides,
    }
    state: dict[str, Any] = Ticket.model_validate(data).model_dump(mode="json", exclude_none=True)
    return state


def document(data: dict[str, Any]) -> dict[str, Any]:
    op = to_index_op(Record("ticket", data["id"], data["version"], data["customer_id"], data))
    assert op.doc_id == f"ticket:{data['id']}" and op.version == data["version"]
    source: dict[str, Any] = op.source
    return source


def visible_to(doc: dict[str, Any], caller: Caller) -> bool:
    return caller.is_admin or not set(caller.search_principals()).isdisjoint(doc["acl"])


def test_the_ticket_document_names_its_number_customer_and_sla() -> None:
    doc = document(ticket())
    assert doc["kind"] == "ticket" and doc["number"] == "T-2026-000042"
    assert doc["title"] == "T-2026-000042 打印机无法连接" and doc["customer_name"] == "A科技有限公司"
    assert "t2026000042" in doc["name_key"]  # an exact number is an identity match
    assert (doc["sla_state"], doc["priority"], doc["status"]) == ("near_breach", "P2", "in_progress")
    assert doc["due_at"] == "2026-12-04T07:00:00Z"
    assert set(doc) <= set(PROPERTIES)  # the strict mapping takes it


def test_support_and_the_customers_seller_see_it_finance_does_not() -> None:
    data = ticket()
    doc = document(data)
    assert doc["acl"] == READ["ticket"].principals(data)
    assert visible_to(doc, SUPPORT) and visible_to(doc, SELLER) and visible_to(doc, MANAGER)
    assert not visible_to(doc, FINANCE) and not visible_to(doc, OTHER_SELLER)
    for caller in (SUPPORT, SELLER, MANAGER, FINANCE, OTHER_SELLER):  # search agrees with get
        assert visible_to(doc, caller) == READ["ticket"].can_read(caller, data)


def test_a_customer_without_a_team_still_reaches_support_and_its_owner() -> None:
    doc = document(ticket(customer_team_id=None))
    assert visible_to(doc, SUPPORT) and visible_to(doc, SELLER) and not visible_to(doc, MANAGER)
