"""The receivable document, from the very state the finance service publishes: customer name,
order number as an identity, what is open and how late, and an ACL in which finance and the
customer's seller are and support is not (finance.policy.RECEIVABLE)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from finance.contracts.receivables import Receivable
from finance.handlers.receivable_state import receivable_state
from finance.policy import READ
from finance.storage.models import ReceivableRow
from kernel.identity import Caller
from search.display import FIELDS as SHOWN_FIELDS
from search.documents import to_index_op
from search.mapping import PROPERTIES
from search.record import Record
from search.results import shape_search

FINANCE = Caller("u-finance", ("finance",), None)
SELLER = Caller("u-s1", ("sales",), "team-east")  # sold the order and owns the customer
OTHER_SELLER = Caller("u-s2", ("sales",), "team-south")
MANAGER = Caller("u-m1", ("manager",), "team-east")
SUPPORT = Caller("u-support", ("support",), "team-support")


def _state(**overrides: object) -> dict[str, Any]:
    now = datetime(2027, 3, 1, 8, tzinfo=UTC)
    row = ReceivableRow(
        id="r-1",
        order_id="so-1",
        order_number="SO-2026-000123",
        seq=2,
        customer_id="c-1",
        customer_name="A科技有限公司",
        customer_owner_id="u-s1",
        owner_id="u-s1",
        team_id="team-east",
        due_date=date(2027, 1, 15),
        currency="CNY",
        amount_minor=12_345_600,
        paid_minor=2_345_600,
        written_off_minor=0,
        status="partially_paid",
        order_version=1,
        version=4,
        created_at=now,
        updated_at=now,
    )
    for key, value in overrides.items():
        setattr(row, key, value)
    state = receivable_state(row, date(2027, 3, 1))
    Receivable.model_validate(state)  # the published contract
    return state


def _doc(state: dict[str, Any]) -> dict[str, Any]:
    op = to_index_op(Record("receivable", str(state["id"]), int(str(state["version"])), "c-1", state))
    assert op.doc_id == "receivable:r-1" and op.version == 4
    return op.source


def _sees(caller: Caller, doc: dict[str, Any]) -> bool:
    acl = doc["acl"]
    assert isinstance(acl, list)
    return caller.is_admin or not set(caller.search_principals()).isdisjoint(acl)


def test_a_receivable_document_says_what_is_open_and_how_late() -> None:
    state = _state()
    doc = _doc(state)
    assert doc["kind"] == "receivable" and doc["customer_name"] == "A科技有限公司"
    assert doc["title"] == "SO-2026-000123 第2期应收"
    assert "so2026000123" in doc["name_key"]  # the order number is an exact identity
    assert (doc["outstanding_minor"], doc["due_date"], doc["overdue_bucket"]) == (
        10_000_000,
        "2027-01-15",
        "31-60",
    )
    assert doc["amount"] == 10_000_000 and doc["status"] == "partially_paid"
    assert {"100000", "123456"} <= set(doc["amount_terms"])  # what is open, what was billed (元)
    assert set(doc) <= set(PROPERTIES)  # the strict mapping takes it
    hit = {"_source": {k: doc.get(k) for k in SHOWN_FIELDS if k in doc}, "_score": 1.0, "sort": [1]}
    item = shape_search({"hits": {"total": {"value": 1}, "hits": [hit]}}, 5)["items"][0]
    assert (item["kind"], item["outstanding_minor"], item["overdue_bucket"]) == (
        "receivable",
        10_000_000,
        "31-60",
    )


def test_finance_and_the_customers_seller_see_it_support_does_not() -> None:
    state = _state()
    doc = _doc(state)
    assert doc["acl"] == READ["receivable"].principals(state)
    assert _sees(FINANCE, doc) and _sees(SELLER, doc) and _sees(MANAGER, doc)
    assert not _sees(SUPPORT, doc) and not _sees(OTHER_SELLER, doc)
    # the customer moved to another seller: the new owner sees it, the order's seller still does
    moved = _doc(_state(customer_owner_id="u-s2"))
    assert _sees(OTHER_SELLER, moved) and _sees(SELLER, moved) and not _sees(SUPPORT, moved)
    for caller in (FINANCE, SELLER, SUPPORT, OTHER_SELLER):  # search never shows what get refuses
        assert _sees(caller, doc) == READ["receivable"].can_read(caller, state)


def test_a_paid_instalment_is_in_no_bucket() -> None:
    doc = _doc(_state(paid_minor=12_345_600, status="paid"))
    assert (doc["outstanding_minor"], doc["overdue_bucket"], doc["status"]) == (0, None, "paid")
