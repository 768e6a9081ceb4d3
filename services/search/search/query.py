"""Query building (pure functions of the validated input and the caller) and a small executor.

One box for every kind: the query string is folded like the indexed text (width,
Traditional → Simplified, case) and tried against every representation the indexer stored —
phrase on the standard-analysed text (contiguous CJK substrings, Latin words), phrase-prefix
(Latin typeahead), exact name identity, pinyin/initials/name prefixes, phone suffixes and
e-mails. Exact identities carry large constant boosts so "the" record outranks records that
merely mention it. The ACL is a ``bool.filter`` clause: Elasticsearch never returns, counts or
aggregates what the caller may not see.
"""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import Elasticsearch
from kernel.identity import Caller
from kernel.text import fold

from search import display, enrich, highlight
from search.acl import acl_filters
from search.cursor import decode_cursor, encode_cursor, query_fingerprint
from search.kinds import KNOWN_KINDS, REGISTRY
from search.results import (
    MATCH_EMAIL,
    MATCH_EMAIL_LOCAL,
    MATCH_PHONE,
    shape_search,
    shape_suggest,
)
from search.validation import SearchParams, SuggestParams, validate_search, validate_suggest

_PINYIN_QUERY = re.compile(r"^[a-z0-9]{2,}$")
# Folded queries that are only Latin-script words (accents allowed) and name punctuation: the
# ones typo tolerance is for. CJK, digits (phones, tax ids) and e-mails stay exact.
_LATIN_WORDS = re.compile(r"^[a-z\u00c0-\u024f][a-z\u00c0-\u024f\s.,'&()-]*$")
_LATIN_WORD = re.compile(r"[a-z\u00c0-\u024f]{4,}")
# A folded query that the standard analyser turns into exactly one token (one Latin/digit word, or
# one ideograph): its phrase and its all-words match are the same term query.
_ONE_TOKEN = re.compile(f"^(?:[a-z0-9]+|[{enrich.IDEOGRAPHS}])$")
# Exact counts up to here; past it ``total`` is a lower bound (``total_is_lower_bound``) and
# Elasticsearch may stop counting, which is what lets it skip non-competitive documents.
TOTAL_HITS_CAP = 1000
# The parts of a response the shaping reads: less JSON to build, send and parse per search.
SEARCH_FILTER_PATH = [
    "hits.total",
    *display.FILTER_PATH,
    "hits.hits._score",
    "hits.hits.sort",
    "hits.hits.matched_queries",
    "aggregations.kind.buckets.key",
    "aggregations.kind.buckets.doc_count",
]
# sort: a hit without a blob (display.hydrate) must still be in the response, and filter_path
# drops a hit that none of the paths reaches.
SUGGEST_FILTER_PATH = [*display.FILTER_PATH, "hits.hits.sort"]
# The last key makes the order total (search_after cursors): a long, not the keyword doc_id,
# whose ordinals cost Elasticsearch ~0.1 ms more per search (record.doc_seq).
SORT = [
    {"_score": "desc"},
    {"updated_at": {"order": "desc", "missing": "_last"}},
    # unmapped: an index from before the field sorts (until ensure_index or a reindex adds it)
    {"doc_seq": {"order": "asc", "unmapped_type": "long"}},
]

# Boosts: identities (constant score) ≫ own name text ≫ parent name / body text.
B_IDENTITY = 100.0
B_EMAIL_LOCAL = 40.0
B_AMOUNT = 40.0  # a record showing exactly the amount typed ("¥12,345.00", "12345")
B_PINYIN_WHOLE = 30.0
B_TITLE_PHRASE = 6.0
B_PREFIX = 10.0
B_ALT_PHRASE = 4.0
B_TITLE_WORDS = 2.0
B_PARENT_PHRASE = 2.0
B_BODY_PHRASE = 1.0
B_BODY_WORDS = 0.5
B_FUZZY = 1.0  # below every exact clause: a typo match never outranks the record spelled right

# Typo tolerance (Lucene edit distance; a transposition counts as one edit) on record names only
# (``title``: companies, people, products), never free text. "AUTO:4,7": words of up to 3 letters
# stay exact, 4-6 letters allow one edit, 7+ allow two. The first letter must match and each word
# expands to at most FUZZY_EXPANSIONS indexed terms. Measured on 20k bench documents, these bounds
# kept every typo query's record in the top 3 at about half the CPU of AUTO / 20 expansions on
# title + alt_names.
FUZZY_FIELD = "title"
FUZZINESS = "AUTO:4,7"
FUZZY_PREFIX_LENGTH = 1
FUZZY_EXPANSIONS = 10


def _term(field: str, value: str, boost: float, name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"value": value, "boost": boost}
    if name:
        spec["_name"] = name  # reported in the hit's matched_queries
    return {"term": {field: spec}}


def _prefix(field: str, value: str, boost: float) -> dict[str, Any]:
    return {"prefix": {field: {"value": value, "boost": boost}}}


def _phrase(field: str, text: str, boost: float, prefix: bool = False) -> dict[str, Any]:
    if prefix:
        return {"match_phrase_prefix": {field: {"query": text, "boost": boost, "max_expansions": 50}}}
    return {"match_phrase": {field: {"query": text, "boost": boost}}}


def _words(field: str, text: str, boost: float) -> dict[str, Any]:
    return {"match": {field: {"query": text, "operator": "and", "boost": boost}}}


def _fuzzy(field: str, text: str) -> dict[str, Any]:
    return {
        "match": {
            field: {
                "query": text,
                "operator": "and",
                "fuzziness": FUZZINESS,
                "fuzzy_transpositions": True,
                "prefix_length": FUZZY_PREFIX_LENGTH,
                "max_expansions": FUZZY_EXPANSIONS,
                "boost": B_FUZZY,
            }
        }
    }


def typo_tolerant(folded: str) -> bool:
    """Whether a folded query gets a fuzzy clause: Latin words only, at least one of 4+ letters."""
    return bool(_LATIN_WORDS.match(folded)) and bool(_LATIN_WORD.search(folded))


def text_clauses(q: str) -> list[dict[str, Any]]:
    """``should`` clauses for one free-text query (at least one must match).

    Clauses that would be the same Lucene query are sent once with their boosts summed, which
    keeps every score as it was: a one-token query's phrase and all-words matches are one term
    query, and a phrase-prefix ending on an ideograph is the phrase itself."""
    folded = fold(q)
    if not folded:
        return []
    squeezed = enrich.compact(q)
    one_token = bool(_ONE_TOKEN.match(folded))
    # Ideographs are one token each, so a phrase-prefix whose last word is one expands to that
    # ideograph only: the same query as the phrase.
    prefix_is_phrase = enrich.ends_in_ideograph(folded)
    title_phrase = B_TITLE_PHRASE + (B_TITLE_PHRASE / 2 if prefix_is_phrase else 0)
    clauses: list[dict[str, Any]] = [
        _phrase("title", folded, title_phrase + (B_TITLE_WORDS if one_token else 0)),
    ]
    if not prefix_is_phrase:
        clauses.append(_phrase("title", folded, B_TITLE_PHRASE / 2, prefix=True))
    clauses.append(_phrase("alt_names", folded, B_ALT_PHRASE))
    if not one_token:
        clauses.append(_words("title", folded, B_TITLE_WORDS))
    clauses += [
        _phrase("customer_name", folded, B_PARENT_PHRASE),
        _phrase("body", folded, B_BODY_PHRASE + (B_BODY_WORDS if one_token else 0)),
    ]
    if not one_token:
        clauses.append(_words("body", folded, B_BODY_WORDS))
    clauses.append(_term("tags", folded, B_PREFIX))
    if typo_tolerant(folded):
        clauses.append(_fuzzy(FUZZY_FIELD, folded))
    keys = enrich.name_keys([q])
    if keys:
        clauses.append({"constant_score": {"filter": {"terms": {"name_key": keys}}, "boost": B_IDENTITY}})
    if squeezed:
        clauses.append(_prefix("name_prefix", squeezed, B_PREFIX))
    if _PINYIN_QUERY.match(squeezed) and not squeezed.isdigit():
        clauses += [
            _term("pinyin_start", squeezed, B_PINYIN_WHOLE),
            _prefix("pinyin_start", squeezed, B_PREFIX),
            _prefix("pinyin", squeezed, B_PREFIX),
            _prefix("initials", squeezed, B_PREFIX),
        ]
    if "@" in folded:
        clauses.append(_term("emails", folded.replace(" ", ""), B_IDENTITY, MATCH_EMAIL))
    elif " " not in folded:
        clauses.append(_term("email_locals", folded, B_EMAIL_LOCAL, MATCH_EMAIL_LOCAL))
    if enrich.looks_like_phone(q):
        clauses.append(_term("phone_suffixes", enrich.phone_digits(q), B_IDENTITY, MATCH_PHONE))
    tax = enrich.query_tax_id(q)
    if tax:
        clauses.append(_term("tax_id", tax, B_IDENTITY))
    amount = enrich.query_amount(q)
    if amount is not None:
        clauses.append(_term("amount_terms", amount, B_AMOUNT))
    return clauses


def ranking_functions() -> list[dict[str, Any]]:
    """Each kind's ranking boosts (``KindSpec.boosts``) as ``function_score`` functions."""
    return [
        {
            "filter": {"bool": {"filter": [{"term": {"kind": spec.kind}}, {"term": {b.field: b.value}}]}},
            "weight": b.weight,
        }
        for spec in REGISTRY.values()
        for b in spec.boosts
    ]


def ranked(query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with the kinds' boosts multiplied into its score (unchanged without boosts).
    Multiplicative, so a boost reorders records that match equally well (a quote's versions)
    without lifting one that matches worse above a better match of another kind."""
    functions = ranking_functions()
    if not functions:
        return query
    return {
        "function_score": {
            "query": query,
            "functions": functions,
            "score_mode": "multiply",
            "boost_mode": "multiply",
        }
    }


def base_filters(caller: Caller) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(filter, must_not): what every query of this caller is confined to."""
    return acl_filters(caller), [{"term": {"deleted": True}}]


def fingerprint(params: SearchParams, caller: Caller) -> str:
    return query_fingerprint(
        params.q, params.kinds, params.owner_id, params.date_from, params.date_to, caller.user_id
    )


def search_body(params: SearchParams, caller: Caller, total_hits_cap: int = TOTAL_HITS_CAP) -> dict[str, Any]:
    filters, must_not = base_filters(caller)
    if params.owner_id:
        filters.append({"term": {"owner_id": params.owner_id}})
    if params.date_from or params.date_to:
        bounds = {"gte": params.date_from, "lte": params.date_to}
        filters.append({"range": {"updated_at": {k: v for k, v in bounds.items() if v}}})
    if params.kinds and not params.facets:
        # Nothing to count beside the hits: the kind choice is one more filter of the query.
        filters.append({"terms": {"kind": list(params.kinds)}})
    boolean: dict[str, Any] = {"filter": filters, "must_not": must_not}
    clauses = text_clauses(params.q)
    if clauses:
        boolean.update(should=clauses, minimum_should_match=1)
    body: dict[str, Any] = {
        "query": ranked({"bool": boolean}),
        "sort": SORT,
        # A first page learns whether a next one exists from the count; a later page (whose
        # count is of the whole query, not of what is left) from one extra hit, fetched and
        # highlighted for nothing.
        "size": params.limit + 1 if params.cursor else params.limit,
        **display.FETCH,
        "track_total_hits": total_hits_cap,
    }
    if params.facets:
        # Facets count every kind the query matches; the kind choice narrows the hits only.
        body["aggs"] = {"kind": {"terms": {"field": "kind", "size": max(len(KNOWN_KINDS), 10)}}}
    if params.kinds and params.facets:
        body["post_filter"] = {"terms": {"kind": list(params.kinds)}}
    if params.cursor:
        body["search_after"] = decode_cursor(params.cursor, fingerprint(params, caller))
    return body


def suggest_body(params: SuggestParams, caller: Caller) -> dict[str, Any]:
    filters, must_not = base_filters(caller)
    filters.append({"exists": {"field": "name_prefix"}})  # only named records: not follow-up notes
    folded = fold(params.q)
    squeezed = enrich.compact(params.q)
    should: list[dict[str, Any]] = []
    if not _ONE_TOKEN.match(folded) or folded.isascii():
        # Words inside a name ("trad" → Acme Trading, "远悦" → 杭州远悦科技). Not for a lone
        # ideograph, the first keystroke of a Chinese name: as a phrase it is "contains this
        # character", thousands of names to score for no telling order; its names-starting-with
        # suggestions come from name_prefix, and the search beside the dropdown still finds it
        # anywhere.
        should.append(_phrase("title", folded, 2.0, prefix=True))
    if squeezed:
        should.append(_prefix("name_prefix", squeezed, 5.0))
        if _PINYIN_QUERY.match(squeezed):
            should += [
                _prefix("pinyin_start", squeezed, 4.0),
                _prefix("pinyin", squeezed, 3.0),
                _prefix("initials", squeezed, 3.0),
            ]
    if "@" in folded:
        should.append(_prefix("emails", folded, 3.0))
    return {
        "query": ranked(
            {"bool": {"filter": filters, "must_not": must_not, "should": should, "minimum_should_match": 1}}
        ),
        # One suggestion per record: a quote's versions are documents of one record (its id),
        # of which the best ranked (the final version) stands for it.
        "collapse": {"field": "id"},
        "sort": SORT,
        "size": params.limit,
        "track_total_hits": False,  # typeahead shows no count
        **display.FETCH,
    }


def _preference(caller: Caller) -> str | None:
    # Any string not starting with "_" (those are Elasticsearch's own preference keywords).
    return f"caller:{caller.user_id}" if caller.user_id else None


class SearchEngine:
    """Validates, builds, runs, shapes. The only place that talks to Elasticsearch for reads."""

    def __init__(self, es: Elasticsearch, alias: str, total_hits_cap: int = TOTAL_HITS_CAP) -> None:
        self.es = es
        self.alias = alias
        self.total_hits_cap = total_hits_cap

    def search(
        self,
        caller: Caller,
        q: Any,
        kinds: Any = None,
        owner_id: Any = None,
        date_from: Any = None,
        date_to: Any = None,
        limit: Any = 20,
        cursor: Any = None,
        facets: Any = False,
    ) -> dict[str, Any]:
        params = validate_search(q, kinds, owner_id, date_from, date_to, limit, cursor, facets)
        body = search_body(params, caller, self.total_hits_cap)
        found = self._fetch(body, SEARCH_FILTER_PATH, caller)
        if params.q:
            marking = highlight.Marking.of(params.q)
            for hit in _hits(found)[: params.limit]:
                hit["highlight"] = marking.highlight(hit.get("_source") or {})
        probed = params.cursor is not None
        page = shape_search(found, params.limit, params.q, facets=params.facets, probed=probed)
        last_sort = page.pop("_last_sort")
        page["next_cursor"] = encode_cursor(last_sort, fingerprint(params, caller)) if last_sort else None
        return page

    def suggest(self, caller: Caller, q: Any, limit: Any = 8) -> list[dict[str, Any]]:
        params = validate_suggest(q, limit)
        return shape_suggest(self._fetch(suggest_body(params, caller), SUGGEST_FILTER_PATH, caller))

    def _fetch(self, body: dict[str, Any], filter_path: list[str], caller: Caller) -> dict[str, Any]:
        """The response, every hit with its shown fields as ``_source`` (search.display)."""

        def run(request: dict[str, Any]) -> dict[str, Any]:
            response = self.es.search(
                index=self.alias,
                body=request,
                filter_path=filter_path,
                # The same caller's searches go to the same shard copies, whose caches they warmed.
                preference=_preference(caller),
            )
            return response.body

        found = run(body)
        if display.hydrate(_hits(found)):
            return found
        # A document from before the display blob is on the page: read it the way it was written.
        legacy = {key: value for key, value in body.items() if key not in display.FETCH}
        return run({**legacy, **display.LEGACY_FETCH})


def _hits(body: dict[str, Any]) -> list[dict[str, Any]]:
    return body.get("hits", {}).get("hits", [])  # filter_path drops an empty list
