"""Index settings and mappings, built only from what Elasticsearch core ships.

Text is analysed with ``standard`` (Unicode word breaks; CJK → one token per ideograph, so
``match_phrase`` is a contiguous-substring match); everything Chinese-specific is precomputed
by ``search.enrich`` into keyword arrays. ``dynamic: strict`` turns a builder typo into a loud
400 at write time rather than a silently unsearchable field.
"""

from __future__ import annotations

from typing import Any

_KEYWORD = {"type": "keyword", "ignore_above": 256}
_TEXT = {"type": "text", "analyzer": "standard"}
_DATE = {"type": "date"}

PROPERTIES: dict[str, Any] = {
    # identity and common fields (DESIGN §4)
    "doc_id": _KEYWORD,
    "kind": _KEYWORD,
    "id": _KEYWORD,
    "customer_id": _KEYWORD,
    "version": {"type": "long"},
    "deleted": {"type": "boolean"},
    "title": _TEXT,
    "customer_name": _TEXT,
    "body": _TEXT,
    "alt_names": _TEXT,
    "status": _KEYWORD,
    "amount": {"type": "long"},  # integer minor units
    "currency": _KEYWORD,
    "created_at": _DATE,
    "updated_at": _DATE,
    "occurred_at": _DATE,
    "due_at": _DATE,
    "owner_id": _KEYWORD,
    "team_id": _KEYWORD,
    "acl": _KEYWORD,
    # Python-side enrichment (search.enrich)
    "name_key": _KEYWORD,
    "name_prefix": _KEYWORD,
    "pinyin": _KEYWORD,
    "initials": _KEYWORD,
    "pinyin_start": _KEYWORD,
    "tags": _KEYWORD,
    "phones": _KEYWORD,
    "phone_suffixes": _KEYWORD,
    "emails": _KEYWORD,
    "email_locals": _KEYWORD,
    "tax_id": _KEYWORD,
    "wechat_id": _KEYWORD,
    # kind-specific
    "value_tier": _KEYWORD,
    "size": _KEYWORD,
    "industry": _KEYWORD,
    "region": _KEYWORD,
    "role": _KEYWORD,
    "is_primary": {"type": "boolean"},
    "channel": _KEYWORD,
    "contact_id": _KEYWORD,
    "author_id": _KEYWORD,
    "assignee_id": _KEYWORD,
    "is_final": {"type": "boolean"},  # quotes (sales), ready for when that kind lands
    # originals for display only: not indexed, not even parsed
    "orig": {"type": "object", "enabled": False},
}


def index_body(*, refresh_interval: str, shards: int, replicas: int) -> dict[str, Any]:
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Set explicitly: it also keeps refreshing shards that see no searches
                # (the search-idle default would delay the first search after a quiet spell).
                "refresh_interval": refresh_interval,
            }
        },
        "mappings": {"dynamic": "strict", "properties": PROPERTIES},
    }
