"""Relevance (Chinese, pinyin, phones, e-mails, Latin prefixes) and ACL through the real index."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.identity import Caller
from kernel.ids import new_id
from search.query import SearchEngine
from search_support import contact_data, customer_data, event, follow_up_data, task_data, wait_for

pytestmark = pytest.mark.integration

RUN = new_id()[-8:]
SALES1 = Caller(f"u-s1-{RUN}", ("sales",), f"team-east-{RUN}")
SALES2 = Caller(f"u-s2-{RUN}", ("sales",), f"team-south-{RUN}")
MANAGER = Caller(f"u-mgr-{RUN}", ("manager",), f"team-east-{RUN}")
FINANCE = Caller(f"u-fin-{RUN}", ("finance",), None)
ADMIN = Caller(f"u-admin-{RUN}", ("admin",), None)


@pytest.fixture(scope="module")
def world(indexers: Any, publish: Any, es: Any, search_settings: Any) -> dict[str, dict[str, Any]]:
    akeji = customer_data("A科技有限公司", SALES1.user_id, team_id=SALES1.team_id, tags=["重点"])
    akeji_dev = customer_data("A科技发展有限公司", SALES2.user_id, team_id=SALES2.team_id)
    huawei = customer_data("华为技术有限公司", SALES2.user_id, team_id=SALES2.team_id)
    acme = customer_data("Acme Trading Co., Ltd.", SALES1.user_id, team_id=SALES1.team_id)
    zhang = contact_data(
        akeji, "张伟", phones=["+86 138-0013-5678"], emails=["Zhang.Wei@AKeji.example.com"], title="采购经理"
    )
    li = contact_data(huawei, "李娜", phones=["010-8888 1234"])
    task = task_data(akeji_dev, "回访A科技发展有限公司", assignee_id=SALES1.user_id)
    # SALES1 wrote a note on SALES2's customer: the note is SALES2's (the author is not a reader,
    # customers.policy.FOLLOW_UP), as the customers service's get says
    note = follow_up_data(huawei, "电话沟通：华为希望下周看到新的报价方案", author_id=SALES1.user_id)
    world = {
        "akeji": akeji, "akeji_dev": akeji_dev, "huawei": huawei, "acme": acme,
        "zhang": zhang, "li": li, "task": task, "note": note,
    }  # fmt: skip
    kinds = {"zhang": "contact", "li": "contact", "task": "task", "note": "follow_up"}
    for key, data in world.items():
        publish(event(kinds.get(key, "customer"), "created", data))
    ids = [data["id"] for data in world.values()]
    alias = search_settings.search_alias
    wait_for(
        lambda: es.count(index=alias, query={"terms": {"id": ids}})["count"] == len(ids),
        timeout=5,
        what="the relevance fixtures",
    )
    es.indices.refresh(index=alias)
    return world


def ids_of(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def first_id(engine: Any, q: str, caller: Caller = ADMIN) -> str:
    page = engine.search(caller, q)
    assert page["items"], f"no results for {q!r}"
    return str(page["items"][0]["id"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("A科技", "akeji"),
        ("a科技有限公司", "akeji"),
        ("Ａ科技", "akeji"),  # full-width
        ("華為技術", "huawei"),  # Traditional query, Simplified record
        ("Acm", "acme"),  # Latin prefix
        ("acme trading", "acme"),
        ("5678", "zhang"),  # last four digits of a phone
        ("138 0013 5678", "zhang"),
        ("1234", "li"),
        ("zhang.wei@akeji.example.com", "zhang"),  # e-mail, case-insensitive
        ("zhang.wei", "zhang"),  # its local part
        ("张伟", "zhang"),
    ],
)
def test_query_ranks_the_expected_record_first(world, engine, query, expected):
    assert first_id(engine, query) == world[expected]["id"]


@pytest.mark.parametrize("query", ["科技", "akj", "keji", "kj", "akeji", "A科"])
def test_substrings_pinyin_and_initials_find_the_company(world, engine, query):
    assert world["akeji"]["id"] in ids_of(engine.search(ADMIN, query, limit=50))


def test_snippet_highlights_the_match_and_escapes_the_rest(world, engine):
    item = next(i for i in engine.search(ADMIN, "科技")["items"] if i["id"] == world["akeji"]["id"])
    assert "<em>科技</em>" in item["title_html"]  # marked in the name, not repeated as a snippet
    note = next(i for i in engine.search(ADMIN, "报价方案")["items"] if i["id"] == world["note"]["id"])
    assert "<em>报价方案</em>" in note["title_html"]  # a one-line note is its own title
    zhang = next(i for i in engine.search(ADMIN, "5678")["items"] if i["id"] == world["zhang"]["id"])
    assert (zhang["snippet_field"], zhang["snippet"]) == ("phones", "+86 138-0013-<em>5678</em>")
    assert item["title"] == "A科技有限公司" and item["kind"] == "customer"
    assert item["customer_id"] == world["akeji"]["id"] and item["status"] == "active"


def test_sales_see_only_their_own_records(world, engine):
    own = set(ids_of(engine.search(SALES1, "", limit=100)))
    assert own == {world[k]["id"] for k in ("akeji", "acme", "zhang", "task")}
    other = set(ids_of(engine.search(SALES2, "", limit=100)))
    assert other == {world[k]["id"] for k in ("akeji_dev", "huawei", "li", "task", "note")}
    assert world["huawei"]["id"] not in ids_of(engine.search(SALES1, "华为"))


def test_manager_sees_the_team_and_admin_sees_everything(world, engine):
    team = set(ids_of(engine.search(MANAGER, "", limit=100)))
    assert team == {world[k]["id"] for k in ("akeji", "acme", "zhang")}
    everything = set(ids_of(engine.search(ADMIN, "科技", limit=100)))
    assert {world[k]["id"] for k in ("akeji", "akeji_dev", "task")} <= everything


def test_finance_sees_customer_basics_but_not_sales_work(world, engine):
    seen = set(ids_of(engine.search(FINANCE, "科技", limit=100)))
    assert {world["akeji"]["id"], world["akeji_dev"]["id"]} <= seen
    assert world["task"]["id"] not in seen
    assert world["note"]["id"] not in ids_of(engine.search(FINANCE, "报价方案", limit=100))


def test_facets_ignore_the_kind_filter_and_cursor_pages_everything(world, engine):
    page = engine.search(SALES1, "", kinds=["contact"], limit=10, facets=True)
    assert ids_of(page) == [world["zhang"]["id"]]
    assert page["total"] == 1 and page["total_is_lower_bound"] is False
    assert page["facets"]["kind"] == {"customer": 2, "contact": 1, "task": 1}
    # Not asked for: no aggregation, the same hits and count.
    plain = engine.search(SALES1, "", kinds=["contact"], limit=10)
    assert plain["facets"] == {} and ids_of(plain) == ids_of(page) and plain["total"] == 1

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = engine.search(SALES1, "", limit=2, cursor=cursor)
        seen += ids_of(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted({world[k]["id"] for k in ("akeji", "acme", "zhang", "task")})


def test_past_the_cap_the_total_is_a_lower_bound(world, engine):
    capped = SearchEngine(engine.es, engine.alias, total_hits_cap=2)
    page = capped.search(SALES1, "", limit=10)
    assert page["total"] == 2 and page["total_is_lower_bound"] is True
    assert len(page["items"]) == 4  # the hits themselves are not capped
    exact = capped.search(SALES1, "", kinds=["contact"], limit=10)
    assert exact["total"] == 1 and exact["total_is_lower_bound"] is False


def test_owner_and_date_filters(world, engine):
    assert set(ids_of(engine.search(ADMIN, "科技", owner_id=SALES2.user_id, limit=100))) == {
        world["akeji_dev"]["id"],
        world["task"]["id"],
    }
    assert ids_of(engine.search(SALES1, "", date_to="2000-01-01")) == []
    assert len(ids_of(engine.search(SALES1, "", date_from="2000-01-01", limit=100))) == 4


@pytest.mark.parametrize(
    ("query", "expected"), [("akj", "akeji"), ("Acm", "acme"), ("A科", "akeji"), ("hua", "huawei")]
)
def test_suggest_completes_names_pinyin_and_initials(world, engine, query, expected):
    suggestions = engine.suggest(ADMIN, query)
    assert world[expected]["id"] in [s["id"] for s in suggestions]
    assert set(suggestions[0]) == {"kind", "id", "customer_id", "title", "customer_name"}


def test_suggest_is_acl_filtered(world, engine):
    assert world["huawei"]["id"] not in [s["id"] for s in engine.suggest(SALES1, "hua")]
