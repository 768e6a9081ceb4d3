"""Search quality against the real Elasticsearch. Typos: Latin names forgive one or two slips,
exact spellings still rank first, CJK, digits and e-mails stay exact. Snippets: a hit shows the
field that matched, marked, and its customer once.

The records are written into a private index through the indexer's own document builder
(``to_index_op``), so the rankings here are not disturbed by other tests' records.
"""

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
from search_support import contact_data, customer_data, follow_up_data, task_data

pytestmark = pytest.mark.integration

ADMIN = Caller(f"u-admin-{new_id()[-8:]}", ("admin",), None)
OWNER = "u-typos"


@pytest.fixture(scope="module")
def world(es: Any, search_settings: Any) -> dict[str, Any]:
    alias = f"{search_settings.search_alias}-typos"
    ensure_index(es, alias, settings_index_body(search_settings))
    robotics = customer_data("Acme Robotics Ltd.", OWNER)
    trading = customer_data("Acme Trading Co., Ltd.", OWNER)
    acne = customer_data("Acne Clinic", OWNER)
    huawei = customer_data("华为技术有限公司", OWNER)
    records = {
        "robotics": ("customer", robotics),
        "trading": ("customer", trading),
        "acne": ("customer", acne),
        "huawei": ("customer", huawei),
        "michael": ("contact", contact_data(robotics, "Michael Johnson", phones=["+86 138-0013-5678"],
                                            emails=["m.johnson@acme-robotics.example.com"])),
        "renewal": ("task", task_data(trading, "Renew Salesforce licence", assignee_id=OWNER)),
        "note": ("follow_up", follow_up_data(huawei, "华为来电\n讨论了仓库自动化试点，下周报价", OWNER)),
    }  # fmt: skip
    for kind, data in records.values():
        record = Record(kind, data["id"], data["version"], data.get("customer_id", data["id"]), data)
        op = to_index_op(record)
        es.index(index=alias, id=op.doc_id, document=op.source, version=op.version, version_type="external")
    es.indices.refresh(index=alias)
    return {"engine": SearchEngine(es, alias), **{key: data["id"] for key, (_, data) in records.items()}}


def top(world: dict[str, Any], q: str, n: int = 3) -> list[str]:
    return [item["id"] for item in world["engine"].search(ADMIN, q, limit=n)["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Acme Robotcs", "robotics"),  # a missing letter
        ("Acmee Robotics", "robotics"),  # an extra letter
        ("Acme Robtoics", "robotics"),  # two letters swapped
        ("Acme Robotixs", "robotics"),  # a wrong letter
        ("Acem Robotics", "robotics"),  # swapped in a four-letter word
        ("Acme Rbootcs", "robotics"),  # two slips in one long word
        ("Acmee", "robotics"),
        ("acmee", "trading"),
        ("Micheal Johnson", "michael"),  # people
        ("Jonhson", "michael"),
        ("Salesforse", "renewal"),  # products in a task's title
        ("Renew Salesforce licnece", "renewal"),
    ],
)
def test_one_or_two_slips_still_find_the_record_in_the_top_3(world, query, expected):
    assert world[expected] in top(world, query)


@pytest.mark.parametrize("query", ["Acme Robotcs", "Micheal Johnson", "Salesforse"])
def test_the_misspelt_record_comes_first_when_nothing_matches_exactly(world, query):
    assert top(world, query, 1) == [world[{"A": "robotics", "M": "michael", "S": "renewal"}[query[0]]]]


def test_exact_and_prefix_matches_outrank_fuzzy_ones(world):
    ranked = top(world, "Acme", 10)
    assert world["acne"] in ranked  # one edit away: found, but after both real Acmes
    assert ranked.index(world["acne"]) > max(ranked.index(world["robotics"]), ranked.index(world["trading"]))
    assert top(world, "Acne", 1) == [world["acne"]]
    assert top(world, "Acme Robotics", 1) == [world["robotics"]]
    assert top(world, "Acme Rob", 1) == [world["robotics"]]  # typeahead prefix


@pytest.mark.parametrize(
    ("query", "not_expected"),
    [
        ("华为技木", "huawei"),  # one wrong ideograph: CJK stays exact
        ("华伟", "huawei"),
        ("5679", "michael"),  # a phone suffix off by one digit
        ("m.johnsen@acme-robotics.example.com", "michael"),  # e-mail with a slip
        ("Acm Robotics Lt", "acne"),
    ],
)
def test_cjk_digits_and_emails_stay_exact(world, query, not_expected):
    assert world[not_expected] not in top(world, query, 10)


def test_the_right_spellings_still_work(world):
    assert top(world, "华为技术", 1) == [world["huawei"]]
    assert top(world, "5678", 1) == [world["michael"]]
    assert top(world, "m.johnson@acme-robotics.example.com", 1) == [world["michael"]]


def hit(world: dict[str, Any], q: str, key: str) -> dict[str, Any]:
    items = world["engine"].search(ADMIN, q, limit=20)["items"]
    return next(item for item in items if item["id"] == world[key])


def test_a_phone_suffix_shows_that_phone_marked(world):
    item = hit(world, "5678", "michael")
    assert (item["snippet_field"], item["snippet"]) == ("phones", "+86 138-0013-<em>5678</em>")
    assert item["title"] == "Michael Johnson" and item["customer_name"] == "Acme Robotics Ltd."


def test_an_email_shows_that_address_marked(world):
    item = hit(world, "m.johnson", "michael")
    assert (item["snippet_field"], item["snippet"]) == (
        "emails",
        "<em>m.johnson</em>@acme-robotics.example.com",
    )


def test_follow_up_text_is_the_snippet_and_the_customer_is_not_repeated(world):
    item = hit(world, "仓库自动化", "note")
    assert item["snippet_field"] == "body" and "<em>仓库自动化</em>" in item["snippet"]
    assert "华为技术" not in item["snippet"] and item["customer_name"] == "华为技术有限公司"
    assert item["title_html"] is None and item["customer_name_html"] is None


def test_a_match_in_the_name_or_the_customer_is_marked_where_it_is_shown(world):
    customer = hit(world, "华为", "huawei")
    assert customer["title_html"] == "<em>华为</em>技术有限公司" and customer["customer_name_html"] is None
    assert customer["snippet_field"] is None  # the snippet is its summary, not its name again
    note = hit(world, "华为", "note")
    assert note["customer_name_html"] == "<em>华为</em>技术有限公司"
    assert note["title_html"] == "<em>华为</em>来电" and note["snippet_field"] is None
