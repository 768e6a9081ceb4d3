"""The sales kinds through the real Elasticsearch: the final quote first, products, amounts and
numbers found, and each caller sees what sales.policy lets them read.

Written into a private index through the indexer's own document builder (``to_index_op``), so
other tests' records do not disturb the rankings.
"""

from __future__ import annotations

from typing import Any

import pytest
from kernel.identity import Caller
from kernel.ids import new_id
from sales.contracts.deals import Contract
from sales_states import owned, quote_record, quote_version, record
from search.documents import to_index_op
from search.es import settings_index_body
from search.indices import ensure_index
from search.query import SearchEngine

pytestmark = pytest.mark.integration

RUN = new_id()[-8:]
SALES1 = Caller(f"u-s1-{RUN}", ("sales",), f"team-east-{RUN}")
SALES2 = Caller(f"u-s2-{RUN}", ("sales",), f"team-south-{RUN}")
MANAGER = Caller(f"u-mgr-{RUN}", ("manager",), f"team-east-{RUN}")
FINANCE = Caller(f"u-fin-{RUN}", ("finance",), None)
ADMIN = Caller(f"u-admin-{RUN}", ("admin",), None)

LINES = [("企业微信客服坐席", 10, 123_450), ("全渠道工单系统 专业版", 1, 1_000_000)]


@pytest.fixture(scope="module")
def world(es: Any, search_settings: Any) -> dict[str, Any]:
    alias = f"{search_settings.search_alias}-sales"
    ensure_index(es, alias, settings_index_body(search_settings))
    akeji = owned("A科技有限公司", SALES1.user_id, SALES1.team_id)
    other = owned("A科技发展有限公司", SALES2.user_id, SALES2.team_id)
    quote_id, other_id = new_id(), new_id()
    number = f"Q-2026-{RUN[-6:]}"
    versions = {
        # v1 rejected, v2 final and sent, v3 a later draft nobody finished: v2 is the answer
        "v1": quote_version(akeji, 1, quote_id=quote_id, number=number, lines=LINES[:1], status="rejected"),
        "v2": quote_version(akeji, 2, quote_id=quote_id, number=number, lines=LINES, status="sent",
                            is_final=True, revision=5),
        "v3": quote_version(akeji, 3, quote_id=quote_id, number=number, lines=LINES, status="draft"),
        "other": quote_version(other, 1, quote_id=other_id, number=f"Q-2027-{RUN[-6:]}",
                               lines=[("数据中心运维托管", 1, 500_000)], status="approved"),
    }  # fmt: skip
    contract = Contract.model_validate(
        {**akeji, "id": new_id(), "version": 1, "number": f"C-2026-{RUN[-6:]}", "quote_id": quote_id,
         "quote_version": 2, "status": "signed", "amount_minor": 2_234_500, "currency": "CNY",
         "title": "全渠道客服系统升级"}
    ).model_dump(mode="json")  # fmt: skip
    ops = [to_index_op(quote_record(data)) for data in versions.values()]
    ops.append(to_index_op(record("contract", contract)))
    for op in ops:
        es.index(index=alias, id=op.doc_id, document=op.source, version=op.version, version_type="external")
    es.indices.refresh(index=alias)
    return {
        "engine": SearchEngine(es, alias),
        "quote_id": quote_id,
        "other_id": other_id,
        "number": number,
        "contract": contract,
    }


def quotes(world: dict[str, Any], q: str, caller: Caller = ADMIN) -> list[tuple[str, int, bool]]:
    page = world["engine"].search(caller, q, kinds=["quote"])
    return [(item["id"], item["version"], item["is_final"]) for item in page["items"]]


def test_the_final_quote_version_comes_first_for_the_customers_name(world: dict[str, Any]) -> None:
    found = quotes(world, "A科技")
    assert found[0] == (world["quote_id"], 2, True)
    assert {(world["quote_id"], 1, False), (world["quote_id"], 3, False)} <= set(found)
    # across every kind too: the first quote hit is the final version
    items = world["engine"].search(ADMIN, "A科技")["items"]
    first_quote = next(item for item in items if item["kind"] == "quote")
    assert (first_quote["id"], first_quote["version"], first_quote["is_final"]) == (
        world["quote_id"],
        2,
        True,
    )


def test_the_quote_number_is_found_exactly_final_version_first(world: dict[str, Any]) -> None:
    found = quotes(world, world["number"])
    assert found[0] == (world["quote_id"], 2, True)
    assert all(quote_id == world["quote_id"] for quote_id, _, _ in found)  # not the other number


def test_a_product_name_finds_the_quote_and_marks_it(world: dict[str, Any]) -> None:
    page = world["engine"].search(ADMIN, "全渠道工单系统", kinds=["quote"])
    assert page["items"][0]["id"] == world["quote_id"] and page["items"][0]["is_final"] is True
    assert "<em>全渠道工单系统</em>" in page["items"][0]["snippet"]
    assert world["other_id"] not in {item["id"] for item in page["items"]}


@pytest.mark.parametrize("amount", ["¥22,345.00", "22345.00", "22345", "22,345"])
def test_the_total_finds_the_quote(world: dict[str, Any], amount: str) -> None:
    assert quotes(world, amount)[0] == (world["quote_id"], 2, True)


def test_contract_numbers_are_found_exactly(world: dict[str, Any]) -> None:
    items = world["engine"].search(ADMIN, world["contract"]["number"])["items"]
    assert (items[0]["kind"], items[0]["id"]) == ("contract", world["contract"]["id"])


def test_each_caller_sees_the_quotes_sales_policy_lets_them_read(world: dict[str, Any]) -> None:
    own = {world["quote_id"]}
    assert {quote_id for quote_id, _, _ in quotes(world, "A科技", SALES1)} == own
    assert {quote_id for quote_id, _, _ in quotes(world, "A科技", MANAGER)} == own  # their team's
    # another team's sales user sees only their own customer's quote, never A科技有限公司's
    assert {quote_id for quote_id, _, _ in quotes(world, "A科技", SALES2)} == {world["other_id"]}
    assert {quote_id for quote_id, _, _ in quotes(world, world["number"], SALES2)} == set()
    # finance reads every quote
    assert {quote_id for quote_id, _, _ in quotes(world, "A科技", FINANCE)} == {
        world["quote_id"],
        world["other_id"],
    }


def test_a_quote_is_suggested_once_not_once_per_version(world: dict[str, Any]) -> None:
    suggestions = world["engine"].suggest(ADMIN, world["number"])
    quotes = [s for s in suggestions if s["kind"] == "quote"]
    assert [s["id"] for s in quotes] == [world["quote_id"]]
