"""The fixed mixed query set, and the Elasticsearch side of the comparison.

Elasticsearch is queried through ``search.query.SearchEngine.search`` — the function behind the
``search`` RPC — with an admin caller, so neither side filters by ACL (the PostgreSQL baseline
has none) and both return a first page of 20. It is the RPC's common path: ranked and highlighted,
counted up to ``search.query.TOTAL_HITS_CAP`` (past it ``total`` is a lower bound), no facets (the
search page asks for those; the REST default and the typeahead dropdown do not).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kernel.identity import Caller
from search.query import SearchEngine, search_body
from search.validation import validate_search

from bench import datagen

PAGE = 20
ADMIN = Caller(user_id="bench-admin", roles=("admin",))


@dataclass(frozen=True)
class Probe:
    q: str
    what: str


QUERY_SET: tuple[Probe, ...] = (
    Probe("科技", "Chinese partial name"),
    Probe("云帆", "Chinese trade name"),
    Probe("雲帆", "Traditional script"),
    Probe("keji", "pinyin"),
    Probe("yfkj", "pinyin initials (云帆科技)"),
    Probe(datagen.FIXED_PHONE[-4:], "last 4 phone digits"),
    Probe(datagen.FIXED_EMAIL, "e-mail"),
    Probe("Acm", "Latin prefix"),
)
QUERIES: tuple[str, ...] = tuple(p.q for p in QUERY_SET)


def es_factory(engine: SearchEngine) -> Callable[[], tuple[Callable[[str], int], Callable[[], None]]]:
    """One shared client (its connection pool is thread-safe); each call is one ``search`` RPC's work."""

    def factory() -> tuple[Callable[[str], int], Callable[[], None]]:
        def search(q: str) -> int:
            return int(engine.search(ADMIN, q, limit=PAGE)["total"])

        return search, lambda: None

    return factory


def es_server_took(engine: SearchEngine, q: str, repeats: int = 5) -> list[int]:
    """Elasticsearch's own ``took`` (ms) for the exact body the query layer sends: what of the
    client-side latency is spent inside the server."""
    body = search_body(validate_search(q, limit=PAGE), ADMIN, engine.total_hits_cap)
    return [
        int(engine.es.search(index=engine.alias, body=body, filter_path=["took"])["took"])
        for _ in range(repeats)
    ]
