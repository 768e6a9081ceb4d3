from typing import Any

import pytest
from kernel.errors import ValidationError
from kernel.identity import Caller
from search.acl import acl_filters
from search.cursor import encode_cursor
from search.query import (
    B_BODY_PHRASE,
    B_BODY_WORDS,
    B_TITLE_PHRASE,
    B_TITLE_WORDS,
    TOTAL_HITS_CAP,
    fingerprint,
    search_body,
    suggest_body,
    text_clauses,
)
from search.validation import validate_search, validate_suggest

SALES = Caller("u1", ("sales",), "t1")
MANAGER = Caller("m1", ("manager",), "t1")
ADMIN = Caller("a1", ("admin",))
SYSTEM = Caller("system", ("system",))


def fields_of(clauses: list[dict[str, Any]]) -> set[str]:
    out = set()
    for clause in clauses:
        body = next(iter(clause.values()))
        if "filter" in body:  # constant_score
            body = next(iter(body["filter"].values()))
        out |= set(body)
    return out


def boolean_of(body: dict[str, Any]) -> dict[str, Any]:
    """The filtering bool query (inside the kinds' ranking boosts)."""
    query = body["query"]
    return query["function_score"]["query"]["bool"] if "function_score" in query else query["bool"]


def test_acl_filter_is_the_callers_principals_and_admin_has_none():
    assert acl_filters(SALES) == [{"terms": {"acl": ["user:u1", "role:sales"]}}]
    assert acl_filters(MANAGER) == [{"terms": {"acl": ["user:m1", "role:manager", "team:t1"]}}]
    assert acl_filters(ADMIN) == [] and acl_filters(SYSTEM) == []


def test_search_body_filters_inside_the_query_and_facets_ignore_the_kind_choice():
    body = search_body(
        validate_search("A科技", kinds=["contact"], owner_id="u9", date_from="2026-01-01", facets=True),
        SALES,
    )
    boolean = boolean_of(body)
    assert {"terms": {"acl": ["user:u1", "role:sales"]}} in boolean["filter"]
    assert {"term": {"owner_id": "u9"}} in boolean["filter"]
    assert {"range": {"updated_at": {"gte": "2026-01-01"}}} in boolean["filter"]
    assert boolean["must_not"] == [{"term": {"deleted": True}}]
    assert boolean["minimum_should_match"] == 1
    assert body["post_filter"] == {"terms": {"kind": ["contact"]}}
    assert body["aggs"]["kind"]["terms"]["field"] == "kind"
    assert body["size"] == 20  # a first page: whether more exist comes from the count
    assert "highlight" not in body  # marked in Python, on the returned page (search.highlight)
    assert body["docvalue_fields"] == ["display"] and body["stored_fields"] == "_none_"
    assert [next(iter(s)) for s in body["sort"]] == ["_score", "updated_at", "doc_seq"]
    assert body["track_total_hits"] == TOTAL_HITS_CAP


def test_without_facets_there_is_no_aggregation_and_the_kind_choice_is_a_query_filter():
    body = search_body(validate_search("A科技", kinds=["contact"]), SALES)
    assert "aggs" not in body and "post_filter" not in body
    assert {"terms": {"kind": ["contact"]}} in boolean_of(body)["filter"]
    assert body["track_total_hits"] == TOTAL_HITS_CAP  # counted up to the cap only


@pytest.mark.parametrize("facets", ["yes", 1, [True]])
def test_facets_must_be_a_boolean(facets):
    with pytest.raises(ValidationError) as err:
        validate_search("x", facets=facets)
    assert [e["field"] for e in err.value.errors] == ["facets"]


def clause_boost(clauses: list[dict[str, Any]], kind: str, field: str) -> float | None:
    found = [c[kind][field]["boost"] for c in clauses if kind in c and field in c[kind]]
    assert len(found) <= 1
    return found[0] if found else None


def test_a_one_token_query_sends_its_phrase_and_words_match_once_with_the_boosts_summed():
    # One Latin word: phrase == all words == one term query; the prefix still expands.
    acme = text_clauses("Acm")  # (3 letters: no fuzzy clause, itself a `match` on the title)
    assert clause_boost(acme, "match", "title") is None and clause_boost(acme, "match", "body") is None
    assert clause_boost(acme, "match_phrase", "title") == B_TITLE_PHRASE + B_TITLE_WORDS
    assert clause_boost(acme, "match_phrase", "body") == B_BODY_PHRASE + B_BODY_WORDS
    assert clause_boost(acme, "match_phrase_prefix", "title") == B_TITLE_PHRASE / 2
    # Two words: the phrase and the words are different queries, both kept.
    two = text_clauses("acm co")
    assert clause_boost(two, "match", "title") == B_TITLE_WORDS
    assert clause_boost(two, "match_phrase", "title") == B_TITLE_PHRASE


def test_a_phrase_prefix_ending_on_an_ideograph_is_the_phrase_sent_once():
    clauses = text_clauses("科技")
    assert clause_boost(clauses, "match_phrase_prefix", "title") is None
    assert clause_boost(clauses, "match_phrase", "title") == B_TITLE_PHRASE * 1.5
    assert clause_boost(clauses, "match", "title") == B_TITLE_WORDS  # two ideographs: two tokens
    assert clause_boost(text_clauses("科技 a"), "match_phrase_prefix", "title") == B_TITLE_PHRASE / 2


def test_no_highlighting_is_asked_of_elasticsearch_and_hits_bring_only_their_display_blob():
    for q in ("yfkj", ""):
        body = search_body(validate_search(q), ADMIN)
        assert "highlight" not in body
        # no _source, no stored field at all (not even _id): the page is read from doc values
        assert (body["_source"], body["stored_fields"], body["docvalue_fields"]) == (
            False,
            "_none_",
            ["display"],
        )


def test_admin_query_has_no_acl_clause_and_empty_query_matches_everything_visible():
    boolean = boolean_of(search_body(validate_search(""), ADMIN))
    assert boolean["filter"] == [] and "should" not in boolean


def test_cursor_becomes_search_after():
    params = validate_search("x", limit=5)
    cursor = encode_cursor([1.5, 1700000000000, "customer:1"], fingerprint(params, SALES))
    body = search_body(validate_search("x", limit=5, cursor=cursor), SALES)
    assert body["search_after"] == [1.5, 1700000000000, "customer:1"]
    assert body["size"] == 6  # a later page: one extra hit tells whether more exist


def test_text_clauses_per_query_shape():
    chinese = fields_of(text_clauses("華為技術"))
    assert {"title", "customer_name", "body", "name_key", "name_prefix"} <= chinese
    assert "pinyin" not in chinese and "phone_suffixes" not in chinese
    assert {"pinyin", "initials"} <= fields_of(text_clauses("akj"))
    phone = text_clauses("138-0013 5678")
    assert {"term": {"phone_suffixes": {"value": "13800135678", "boost": 100.0, "_name": "phones"}}} in phone
    assert {"term": {"emails": {"value": "zhang@a.com", "boost": 100.0, "_name": "emails"}}} in text_clauses(
        "Zhang@A.com"
    )
    assert "email_locals" in fields_of(text_clauses("zhang.wei"))
    assert text_clauses("   ") == []


def test_query_text_is_folded_like_the_index():
    phrase = text_clauses("Ａ科技")[0]
    # (its phrase-prefix, ending on an ideograph, is the same query: one clause, boosts summed)
    assert phrase == {"match_phrase": {"title": {"query": "a科技", "boost": 9.0}}}


def test_suggest_body():
    body = suggest_body(validate_suggest("akj", 8), SALES)
    assert body["size"] == 8
    assert boolean_of(body)["filter"] == [*acl_filters(SALES), {"exists": {"field": "name_prefix"}}]
    assert {"name_prefix", "pinyin", "initials", "title"} <= fields_of(boolean_of(body)["should"])
    assert body["collapse"] == {"field": "id"}
    assert body["track_total_hits"] is False and "highlight" not in body and "aggs" not in body


def test_suggest_for_a_lone_ideograph_is_names_starting_with_it():
    lone = boolean_of(suggest_body(validate_suggest("科", 8), ADMIN))["should"]
    assert fields_of(lone) == {"name_prefix"}
    # Two ideographs, or Latin, also complete words inside a name (杭州远悦科技 for 远悦).
    assert "title" in fields_of(boolean_of(suggest_body(validate_suggest("远悦", 8), ADMIN))["should"])
    assert "title" in fields_of(boolean_of(suggest_body(validate_suggest("t", 8), ADMIN))["should"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": 5}, "q"),
        ({"q": "a", "limit": 0}, "limit"),
        ({"q": "a", "limit": 101}, "limit"),
        ({"q": "a", "limit": True}, "limit"),
        ({"q": "a", "kinds": ["planet"]}, "kinds"),
        ({"q": "a", "kinds": "customer,contact"}, "kinds"),
        ({"q": "a", "owner_id": ""}, "owner_id"),
        ({"q": "a", "date_from": "2026-13-01"}, "date_from"),
        ({"q": "a", "date_to": "soon"}, "date_to"),
        ({"q": "a", "date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to"),
        ({"q": "a", "cursor": ""}, "cursor"),
    ],
)
def test_validation_names_the_field(kwargs, field):
    with pytest.raises(ValidationError) as raised:
        validate_search(**kwargs)
    assert [e["field"] for e in raised.value.errors] == [field]


def test_validation_reports_every_problem_at_once():
    with pytest.raises(ValidationError) as raised:
        validate_search("x" * 300, limit=0, kinds=["nope"])
    assert {e["field"] for e in raised.value.errors} == {"q", "limit", "kinds"}


def test_validation_normalises():
    params = validate_search("  hi  ", kinds=["task", "task"], date_from="2026-01-01T08:00:00+08:00")
    assert params.q == "hi" and params.kinds == ("task",) and params.date_from == "2026-01-01T00:00:00Z"
    assert validate_search(None).q == ""


def test_suggest_needs_a_query():
    with pytest.raises(ValidationError) as raised:
        validate_suggest("  ", 8)
    assert raised.value.errors[0]["field"] == "q"
    with pytest.raises(ValidationError):
        validate_suggest("a", 51)


def fuzzy_clauses(q: str) -> list[dict[str, Any]]:
    return [c for c in text_clauses(q) if "fuzziness" in next(iter(next(iter(c.values())).values()))]


@pytest.mark.parametrize("q", ["Acme Robotcs", "acmee", "Micheal Johnson", "Müller GmbH", "O'Brien & Co."])
def test_latin_words_get_one_bounded_fuzzy_clause_on_the_name(q):
    (clause,) = fuzzy_clauses(q)
    spec = clause["match"]["title"]
    assert spec["fuzziness"] == "AUTO:4,7" and spec["fuzzy_transpositions"] is True
    assert spec["prefix_length"] == 1 and spec["max_expansions"] == 10 and spec["operator"] == "and"
    exact_on_title = [boost_of(c) for c in text_clauses(q) if c != clause and "title" in fields_of([c])]
    assert spec["boost"] < min(exact_on_title)  # below every exact match on the same name


def boost_of(clause: dict[str, Any]) -> float:
    body = next(iter(clause.values()))
    if "boost" in body:  # constant_score
        return float(body["boost"])
    return float(next(iter(body.values()))["boost"])


@pytest.mark.parametrize(
    "q", ["华为技术", "A科技", "akj", "5678", "138 0013 5678", "zhang@a.com", "acme 2024", "91350100M0"]
)
def test_cjk_digits_emails_and_short_words_stay_exact(q):
    assert fuzzy_clauses(q) == []


def test_kind_boosts_multiply_the_score_of_matching_documents_of_that_kind_only():
    query = search_body(validate_search("A科技"), SALES)["query"]["function_score"]
    assert query["score_mode"] == query["boost_mode"] == "multiply"
    final = {"bool": {"filter": [{"term": {"kind": "quote"}}, {"term": {"is_final": True}}]}}
    assert {"filter": final, "weight": 3.0} in query["functions"]
    # the ACL stays a filter of the query itself: boosts never widen what matches
    assert {"terms": {"acl": ["user:u1", "role:sales"]}} in query["query"]["bool"]["filter"]


@pytest.mark.parametrize(
    ("q", "key"),
    [("¥12,345.00", "12345"), ("12345.50", "12345.5"), ("USD 1,234.50", "1234.5"), ("8000元", "8000")],
)
def test_an_amount_query_looks_up_the_amount_terms(q: str, key: str) -> None:
    assert {"term": {"amount_terms": {"value": key, "boost": 40.0}}} in text_clauses(q)


def test_a_name_query_has_no_amount_clause() -> None:
    assert "amount_terms" not in fields_of(text_clauses("A科技"))
