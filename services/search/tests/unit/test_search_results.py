from typing import Any

from search.results import mark_email, mark_phone, shape_search, shape_suggest, snippet


def hit(doc_id: str, highlight=None, orig=None, sort=None, kind="customer", matched=None) -> dict:
    source = {
        "kind": kind,
        "id": doc_id,
        "customer_id": doc_id,
        "status": "active",
        "updated_at": "2026-01-01T00:00:00Z",
        "orig": orig or {"title": "T", "customer_name": "C"},
    }
    return {
        "_id": doc_id,
        "_score": 2.5,
        "_source": source,
        "highlight": highlight or {},
        "sort": sort or [2.5, 1, doc_id],
        "matched_queries": matched or [],
    }


def test_snippet_shows_the_matching_text_not_the_title_and_merges_adjacent_ideographs():
    h = hit("1", highlight={"title": ["A<em>科</em><em>技</em>"], "body": ["买 <em>科</em><em>技</em>"]})
    assert snippet(h) == ("买 <em>科技</em>", "body")
    # Only the title matched: it is marked where it is shown; the snippet is the summary.
    only_title = hit("1", highlight={"title": ["A<em>科</em><em>技</em>有限公司"]}, orig={"summary": "制造"})
    assert snippet(only_title) == ("制造", None)
    assert snippet(hit("1", highlight={"tax_id": ["<em>9135</em>"], "body": ["x"]})) == (
        "<em>9135</em>",
        "tax_id",
    )


def test_a_one_line_note_is_not_repeated_under_its_title():
    note = hit(
        "1", highlight={"title": ["新的<em>报价</em>"], "body": ["新的<em>报价</em>"]}, kind="follow_up"
    )
    assert snippet(note) == ("", None)
    longer = hit("1", highlight={"title": ["新的"], "body": ["下周<em>报价</em>"]}, kind="follow_up")
    assert snippet(longer) == ("下周<em>报价</em>", "body")
    # The first line matched and so did the rest: the rest is the snippet, escaped again.
    both = hit(
        "1", kind="follow_up", highlight={"title": ["<em>华为</em>来电"],
                                          "body": ["<em>华为</em>来电\n讨论 &lt;b&gt; <em>华为</em>报价"]},
    )  # fmt: skip
    assert snippet(both) == ("讨论 &lt;b&gt; <em>华为</em>报价", "body")
    # Only the first line matched: nothing below it to show but the summary.
    marks = {"title": ["<em>华为</em>来电"], "body": ["<em>华为</em>来电\n讨论"]}
    first = hit("1", kind="follow_up", highlight=marks, orig={"title": "华为来电", "summary": "讨论"})
    assert snippet(first) == ("讨论", None)


def test_phone_and_email_matches_are_marked_in_the_spelling_the_user_typed():
    orig = {"title": "张伟", "customer_name": "A科技", "phones": ["010-8888 1234", "+86 138-0013-5678"],
            "emails": ["Zhang.Wei@AKeji.com"], "summary": "采购经理"}  # fmt: skip
    by_phone = hit("1", orig=orig, kind="contact", matched=["phones"])
    assert snippet(by_phone, "5678") == ("+86 138-0013-<em>5678</em>", "phones")
    assert snippet(by_phone, "138 0013 5678") == ("+86 <em>138-0013-5678</em>", "phones")
    assert snippet(hit("1", orig=orig, matched=["emails"]), "zhang.wei@akeji.com") == (
        "<em>Zhang.Wei@AKeji.com</em>",
        "emails",
    )
    assert snippet(hit("1", orig=orig, matched=["email_locals"]), "zhang.wei") == (
        "<em>Zhang.Wei</em>@AKeji.com",
        "emails",
    )
    # A document indexed before phones were kept as typed falls back to its summary.
    assert snippet(hit("1", orig={"summary": "采购经理"}, matched=["phones"]), "5678") == ("采购经理", None)


def test_markers_escape_and_refuse_non_matches():
    assert mark_phone(["<b>1234</b>"], "1234") == "&lt;b&gt;<em>1234</em>&lt;/b&gt;"
    assert mark_phone(["138 0013 5678"], "9999") is None and mark_phone([], "5678") is None
    assert mark_email(["a@b.cn"], "x@b.cn", local_only=False) is None


def test_snippet_falls_back_to_an_escaped_summary():
    assert snippet(hit("1", orig={"title": "<b>x</b>", "summary": "a & <i>b</i>"})) == (
        "a &amp; &lt;i&gt;b&lt;/i&gt;",
        None,
    )
    assert snippet(hit("1", orig={"title": "<b>x</b>"})) == ("", None)


def test_the_customer_name_is_marked_in_place_and_never_repeated_for_a_customer():
    contact = hit(
        "1", kind="contact", highlight={"customer_name": ["<em>A科技</em>有限公司"]},
        orig={"title": "张伟", "customer_name": "A科技有限公司"},
    )  # fmt: skip
    item = shape_search({"hits": {"total": {"value": 1}, "hits": [contact]}}, 5)["items"][0]
    assert item["customer_name_html"] == "<em>A科技</em>有限公司" and item["snippet"] is None
    customer = hit(
        "2", highlight={"title": ["<em>A科技</em>"], "customer_name": ["<em>A科技</em>"]},
        orig={"title": "A科技", "customer_name": "A科技"},
    )  # fmt: skip
    item = shape_search({"hits": {"total": {"value": 1}, "hits": [customer]}}, 5)["items"][0]
    assert item["title_html"] == "<em>A科技</em>" and item["customer_name_html"] is None


def test_shape_search_trims_the_probe_hit_and_keeps_the_last_sort():
    body = {
        "hits": {"total": {"value": 3}, "hits": [hit("1"), hit("2"), hit("3")]},
        "aggregations": {
            "kind": {
                "buckets": [
                    {"key": "task", "doc_count": 9},
                    {"key": "planet", "doc_count": 8},
                    {"key": "customer", "doc_count": 3},
                ]
            }
        },
    }
    page = shape_search(body, 2)
    assert [i["id"] for i in page["items"]] == ["1", "2"]
    assert page["_last_sort"] == [2.5, 1, "2"]
    # Facets in registry order, unknown kinds last; not by count.
    assert list(page["facets"]["kind"]) == ["customer", "task", "planet"] and page["total"] == 3
    assert page["items"][0] == {
        "kind": "customer", "id": "1", "customer_id": "1", "customer_name": "C", "title": "T",
        "title_html": None, "customer_name_html": None, "snippet": None, "snippet_field": None,
        "score": 2.5, "updated_at": "2026-01-01T00:00:00Z", "status": "active",
    }  # fmt: skip
    assert shape_search(body, 3)["_last_sort"] is None


def test_a_first_page_knows_from_the_count_whether_a_next_page_exists():
    def first_page(total: dict[str, Any], hits: list[dict[str, Any]], limit: int) -> Any:
        return shape_search({"hits": {"total": total, "hits": hits}}, limit, probed=False)["_last_sort"]

    two = [hit("1"), hit("2")]
    assert first_page({"value": 3, "relation": "eq"}, two, 2) == [2.5, 1, "2"]  # a third exists
    assert first_page({"value": 2, "relation": "eq"}, two, 2) is None  # exactly one page
    assert first_page({"value": 2, "relation": "gte"}, two, 2) == [2.5, 1, "2"]  # counting stopped
    assert first_page({"value": 1, "relation": "eq"}, two[:1], 2) is None
    assert first_page({"value": 0, "relation": "eq"}, [], 2) is None
    capped = {"hits": {"total": {"value": 1000, "relation": "gte"}, "hits": two}}
    lower = shape_search(capped, 2, facets=False)
    assert lower["total_is_lower_bound"] is True and lower["facets"] == {}
    # filter_path leaves out an empty hit list
    assert shape_search({"hits": {"total": {"value": 0, "relation": "eq"}}}, 2)["items"] == []


def test_shape_suggest():
    assert shape_suggest({"hits": {"hits": [hit("1")]}}) == [
        {"kind": "customer", "id": "1", "customer_id": "1", "title": "T", "customer_name": "C"}
    ]
