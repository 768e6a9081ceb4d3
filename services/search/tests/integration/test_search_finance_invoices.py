"""Invoices through the real Elasticsearch: an invoice number finds exactly that invoice, and
only those finance.policy lets read it see it."""

from __future__ import annotations

from typing import Any

import pytest
from finance.contracts.invoices import Invoice
from kernel.identity import Caller
from kernel.ids import new_id
from sales_states import owned, record
from search.documents import to_index_op
from search.es import settings_index_body
from search.indices import ensure_index
from search.query import SearchEngine

pytestmark = pytest.mark.integration

RUN = new_id()[-8:]
SALES1 = Caller(f"u-s1-{RUN}", ("sales",), f"team-east-{RUN}")
SALES2 = Caller(f"u-s2-{RUN}", ("sales",), f"team-south-{RUN}")
FINANCE = Caller(f"u-fin-{RUN}", ("finance",), None)
SUPPORT = Caller(f"u-sup-{RUN}", ("support",), None)


def _invoice(base: dict[str, Any], number: str, amount: int) -> dict[str, Any]:
    return Invoice.model_validate(
        {**base, "id": new_id(), "number": number, "title": base["customer_name"], "currency": "CNY",
         "amount_minor": amount, "tax_rate": "0.13", "tax_minor": amount * 13 // 113,
         "net_minor": amount - amount * 13 // 113, "status": "issued", "issued_on": "2026-12-02",
         "created_by": FINANCE.user_id, "version": 2}
    ).model_dump(mode="json")  # fmt: skip


@pytest.fixture(scope="module")
def world(es: Any, search_settings: Any) -> dict[str, Any]:
    alias = f"{search_settings.search_alias}-invoices"
    ensure_index(es, alias, settings_index_body(search_settings))
    mine = _invoice(
        owned("A科技有限公司", SALES1.user_id, SALES1.team_id), f"INV-2026-{RUN[-6:]}", 11_300_000
    )
    near = _invoice(
        owned("A科技发展有限公司", SALES2.user_id, SALES2.team_id), f"INV-2027-{RUN[-6:]}", 5_650_000
    )
    for data in (mine, near):
        op = to_index_op(record("invoice", data))
        es.index(index=alias, id=op.doc_id, document=op.source, version=op.version, version_type="external")
    es.indices.refresh(index=alias)
    return {"engine": SearchEngine(es, alias), "mine": mine, "near": near}


def found(world: dict[str, Any], q: str, caller: Caller) -> list[tuple[str, str]]:
    return [(item["kind"], item["id"]) for item in world["engine"].search(caller, q)["items"]]


def test_an_invoice_number_finds_that_invoice_first(world: dict[str, Any]) -> None:
    hits = found(world, world["mine"]["number"], FINANCE)
    assert hits[0] == ("invoice", world["mine"]["id"])
    assert ("invoice", world["near"]["id"]) not in hits
    item = world["engine"].search(FINANCE, world["mine"]["number"])["items"][0]
    assert item["number"] == world["mine"]["number"] and item["issued_on"] == "2026-12-02"


def test_the_read_policy_decides_who_sees_it(world: dict[str, Any]) -> None:
    number = world["mine"]["number"]
    assert found(world, number, SALES1)[:1] == [("invoice", world["mine"]["id"])]
    assert ("invoice", world["mine"]["id"]) not in found(world, number, SALES2)
    assert found(world, number, SUPPORT) == []


def test_the_amount_finds_it(world: dict[str, Any]) -> None:
    assert ("invoice", world["mine"]["id"]) in found(world, "113000", FINANCE)
