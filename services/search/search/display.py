"""What a hit shows, carried in one binary doc-values field (``display``) instead of ``_source``.

A page of 20 hits read from ``_source`` made Elasticsearch decompress a stored-fields block per
hit (LZ4 with a preset dictionary, over a block shared by many documents; ``_id`` lives there
too) and then parse and filter each document's JSON: about a fifth of its CPU per search.
Binary doc values are stored uncompressed, so the page is read with ``stored_fields: _none_``
and ``docvalue_fields: [display]`` (1.35-1.40 → 1.10-1.17 ms of Elasticsearch CPU per search,
5,000 customers; README "Cost per operation"). The mapping keeps the blob out of ``_source``
(``mapping.index_body``), which holds the rest of the document as before.

Documents indexed before this field existed have no blob until ``search.reindex`` runs; their
pages are read from ``_source`` instead (``hydrate``, ``LEGACY_FETCH``): never shown blank.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from search import highlight
from search.kinds import REGISTRY

FIELD = "display"
# What the shaping reads from a hit (search.results) and the text it marks (search.highlight).
FIELDS: tuple[str, ...] = (
    "kind",
    "id",
    "customer_id",
    "status",
    "updated_at",
    "orig",
    # what some kinds' hits carry besides (a quote's version number and is_final)
    *sorted({name for spec in REGISTRY.values() for name in spec.hit_fields}),
    *highlight.MARKED_FIELDS,
)
# What a search asks for: the blob only, no stored field (not even _id) ...
FETCH: dict[str, Any] = {"_source": False, "stored_fields": "_none_", "docvalue_fields": [FIELD]}
# ... and, for a page with a document from before the blob, what it asked before.
LEGACY_FETCH: dict[str, Any] = {"_source": list(FIELDS)}
FILTER_PATH = [f"hits.hits.fields.{FIELD}", "hits.hits._source"]


def encode(document: Mapping[str, Any]) -> str:
    """The blob a document carries: its ``FIELDS``, JSON, base64 (how Elasticsearch takes and
    returns binary values)."""
    shown = {name: document[name] for name in FIELDS if name in document}
    return base64.b64encode(orjson.dumps(shown)).decode("ascii")


def decode(hit: Mapping[str, Any]) -> dict[str, Any] | None:
    values = (hit.get("fields") or {}).get(FIELD)
    return orjson.loads(binascii.a2b_base64(values[0])) if values else None


def hydrate(hits: Iterable[dict[str, Any]]) -> bool:
    """Give each hit with a blob its ``_source`` (of ``FIELDS``) from it; False when some hit has
    none: a document indexed before the blob existed, whose page must be read from ``_source``
    (``LEGACY_FETCH``) until ``search.reindex`` rewrites it."""
    complete = True
    for hit in hits:
        shown = decode(hit)
        if shown is None:
            complete = False
        else:
            hit["_source"] = shown
    return complete
