"""Index settings and mappings, built only from what Elasticsearch core ships.

Text is analysed with ``standard`` (Unicode word breaks; CJK → one token per ideograph, so
``match_phrase`` is a contiguous-substring match); everything Chinese-specific is precomputed
by ``search.enrich`` into keyword arrays. ``dynamic: strict`` turns a builder typo into a loud
400 at write time rather than a silently unsearchable field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search import display
from search.fields import BINARY_DOC_VALUES, BOOLEAN, DATE, KEYWORD, LONG, TEXT
from search.kinds import REGISTRY, KindSpec

# Fields every kind may carry: DESIGN §4's common fields and what ``search.enrich`` computes,
# because the query side searches them across all kinds. A field only one kind has belongs in
# that kind's ``KindSpec.fields``.
COMMON_PROPERTIES: dict[str, Any] = {
    # identity and common fields (DESIGN §4)
    "doc_id": KEYWORD,
    "doc_seq": LONG,  # the sort's tiebreaker (record.doc_seq)
    "kind": KEYWORD,
    "id": KEYWORD,
    "customer_id": KEYWORD,
    "version": LONG,
    "deleted": BOOLEAN,
    "title": TEXT,
    "customer_name": TEXT,
    "body": TEXT,
    "alt_names": TEXT,
    "status": KEYWORD,
    "amount": LONG,  # integer minor units
    "currency": KEYWORD,
    "created_at": DATE,
    "updated_at": DATE,
    "occurred_at": DATE,
    "due_at": DATE,
    "owner_id": KEYWORD,
    "team_id": KEYWORD,
    "acl": KEYWORD,
    # Python-side enrichment (search.enrich), queried for every kind
    "name_key": KEYWORD,
    "name_prefix": KEYWORD,
    "pinyin": KEYWORD,
    "initials": KEYWORD,
    "pinyin_start": KEYWORD,
    "tags": KEYWORD,
    "phones": KEYWORD,
    "phone_suffixes": KEYWORD,
    "emails": KEYWORD,
    "email_locals": KEYWORD,
    "tax_id": KEYWORD,
    "amount_terms": KEYWORD,  # enrich.amount_terms: every amount a record shows, one spelling each
    # originals for display only: not indexed, not even parsed
    "orig": {"type": "object", "enabled": False},
    # what a hit shows, fetched from doc values rather than _source (search.display)
    "display": BINARY_DOC_VALUES,
}


def merged_properties(specs: Iterable[KindSpec]) -> dict[str, Any]:
    """The common fields plus every kind's fragment. Two kinds may share a field only with the
    same definition: one index has one mapping per field name."""
    properties = dict(COMMON_PROPERTIES)
    for spec in specs:
        for name, definition in spec.fields.items():
            if name in properties and properties[name] != definition:
                raise ValueError(
                    f"kind {spec.kind!r} maps {name!r} as {definition}, already {properties[name]}"
                )
            properties[name] = definition
    return properties


PROPERTIES: dict[str, Any] = merged_properties(REGISTRY.values())


def index_body(*, refresh_interval: str, shards: int, replicas: int) -> dict[str, Any]:
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Set explicitly: it also keeps refreshing shards that see no searches
                # (the search-idle default would delay the first search after a quiet spell).
                "refresh_interval": refresh_interval,
                # Fewer, larger segments: every search pays each of its ~10 clauses once per
                # segment. Lucene's defaults (10 per tier, 2 MB floor) left a 5k-customer index
                # at 10-12 segments, 1.43-1.98 ms of Elasticsearch CPU per search; forced to 4 and
                # to 1 segment the same index measured 1.11 and 0.92 against 1.49 (2026-12-03). A
                # CRM index is read far more than written: the extra merging is cheap.
                "merge": {"policy": {"segments_per_tier": 5, "floor_segment": "8mb"}},
            }
        },
        "mappings": {
            "dynamic": "strict",
            # The blob is read from doc values only: in _source as well, it would be stored twice.
            # (An index made before this keeps it there: ensure_index.)
            "_source": {"excludes": [display.FIELD]},
            "properties": PROPERTIES,
        },
    }
