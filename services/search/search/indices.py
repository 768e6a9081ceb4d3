"""Index lifecycle behind the alias: create-if-missing, build a new index, swap atomically.

Readers and the indexer only ever name the alias. While a reindex builds a new index it is
reachable through the second alias ``<alias>-building``; the indexer writes every event to both
aliases, so nothing published during the rebuild is missing from the new index (see reindex.py).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

log = logging.getLogger(__name__)

BUILDING_SUFFIX = "-building"


def building_alias(alias: str) -> str:
    return f"{alias}{BUILDING_SUFFIX}"


def new_index_name(alias: str, now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{alias}-{moment:%Y%m%d%H%M%S%f}"


def indices_behind(es: Elasticsearch, alias: str) -> list[str]:
    try:
        return sorted(es.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []


def _create(es: Elasticsearch, name: str, body: dict[str, Any], alias: str) -> None:
    es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"], aliases={alias: {}})


def ensure_index(es: Elasticsearch, alias: str, body: dict[str, Any]) -> str:
    """Create ``<alias>-<ts>`` behind ``alias`` if missing; returns the concrete index name.

    Safe to call from N processes at once: if two of them raced and each created an index, all
    agree on the lowest name and drop the others (still empty: the alias had no write index).
    """
    current = indices_behind(es, alias)
    if not current:
        # ``exists`` is also true for an alias another process has just created: only a name that
        # is not (or no longer) an alias is a concrete index in the way.
        if es.indices.exists(index=alias) and not es.indices.exists_alias(name=alias):
            raise RuntimeError(
                f"{alias!r} is a concrete index, not an alias; delete it or pick another alias"
            )
        if not es.indices.exists_alias(name=alias):
            name = new_index_name(alias)
            _create(es, name, body, alias)
            log.info("created index %s behind alias %s", name, alias)
        current = indices_behind(es, alias)
    winner, losers = current[0], current[1:]
    for loser in losers:
        with contextlib.suppress(NotFoundError):
            if es.count(index=loser)["count"]:
                # Not a creation race (those indices are empty): someone else's doing; refuse to guess.
                raise RuntimeError(f"alias {alias!r} points at several non-empty indices: {current}")
            log.warning(
                "alias %s had %d indices after a creation race; dropping %s", alias, len(current), loser
            )
            es.indices.delete(index=loser)
    # Additive mapping changes (a new kind's fields) apply in place; conflicting ones fail loudly.
    # _source's settings cannot change in place: an older index keeps its own until a reindex.
    es.indices.put_mapping(index=winner, **{k: v for k, v in body["mappings"].items() if k != "_source"})
    return winner


def create_building_index(es: Elasticsearch, alias: str, body: dict[str, Any], bulk_load: bool = True) -> str:
    """A fresh index behind ``<alias>-building``, refreshing only on demand while it is filled."""
    name = new_index_name(alias)
    if bulk_load:
        body = {**body, "settings": {"index": {**body["settings"]["index"], "refresh_interval": "-1"}}}
    _create(es, name, body, building_alias(alias))
    return name


def drop_building(es: Elasticsearch, alias: str) -> list[str]:
    """Delete indices left behind ``<alias>-building`` (an aborted reindex)."""
    stale = [i for i in indices_behind(es, building_alias(alias)) if i not in indices_behind(es, alias)]
    for index in stale:
        es.indices.delete(index=index)
    return stale


def swap_alias(es: Elasticsearch, alias: str, new_index: str, refresh_interval: str) -> list[str]:
    """Point ``alias`` at ``new_index`` and retire the building alias in one atomic call."""
    es.indices.put_settings(index=new_index, settings={"index": {"refresh_interval": refresh_interval}})
    es.indices.refresh(index=new_index)
    old = [i for i in indices_behind(es, alias) if i != new_index]
    actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": alias}} for i in old]
    actions += [
        {"add": {"index": new_index, "alias": alias}},
        {"remove": {"index": new_index, "alias": building_alias(alias)}},
    ]
    es.indices.update_aliases(actions=actions)
    return old
