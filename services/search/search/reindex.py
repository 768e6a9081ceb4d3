"""Rebuild the read model from each service's paged ``export`` RPC and swap the alias atomically.

``python -m search.reindex [--keep-old]``

Consistency while events keep flowing: the new index is created behind ``<alias>-building``
*before* the export starts, and the indexer resolves its targets before every bulk attempt,
writing to both aliases while the building one exists. Take an aggregate changed at commit
time tc and indexed at ti (> tc). If ti is after the building alias appeared, the event reaches
the new index directly. If ti is before, then tc is before too, so the export — which only
starts afterwards — reads that state or a newer one. Both paths write with
``version_type=external``, so whichever is newer wins, in whatever order they arrive; a 409 is
"already newer" and counts as success. Searches use ``<alias>``, which keeps pointing at the old
index until one ``_aliases`` call moves it (and drops the building alias) atomically.

Known gap: records deleted *before* the reindex have no tombstone in the new index, so an
ancient update for such a record replayed later (e.g. from the DLQ) could resurrect it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from kernel.identity import SYSTEM, Caller
from kernel.logs import configure_logging

from search.bulk import Outcome
from search.documents import IndexOp, to_index_op
from search.es import make_client, settings_index_body
from search.indices import create_building_index, drop_building, swap_alias
from search.record import Record
from search.settings import SearchSettings
from search.writer import RetryableEsError, bulk_write

log = logging.getLogger("search.reindex")

# (service, kind, cursor, limit) -> {"items": [...], "next_cursor": str | None}
ExportPage = Callable[[str, str, "str | None", int], Mapping[str, Any]]

WRITE_ATTEMPTS = 8


@dataclass
class ReindexReport:
    index: str
    counts: Counter[str] = field(default_factory=Counter)  # written per kind
    stale: int = 0  # already newer in the new index (the indexer got there first)
    rejected: list[str] = field(default_factory=list)  # unbuildable or refused by ES
    old_indices: list[str] = field(default_factory=list)
    deleted_old: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "counts": dict(self.counts),
            "stale": self.stale,
            "rejected": self.rejected,
            "old_indices": self.old_indices,
            "deleted_old": self.deleted_old,
            "seconds": round(self.seconds, 3),
        }


def record_from_export(item: Mapping[str, Any]) -> Record:
    aggregate = item["aggregate"]
    return Record(
        kind=str(aggregate["type"]),
        id=str(aggregate["id"]),
        version=int(aggregate["version"]),
        customer_id=item.get("customer_id"),
        data=dict(item["data"]),
    )


def _write(es: Elasticsearch, index: str, ops: Sequence[IndexOp], report: ReindexReport) -> None:
    delay = 0.5
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            results = bulk_write(es, [index], ops, require_alias=False)
        except RetryableEsError as exc:
            if attempt == WRITE_ATTEMPTS:
                raise
            log.warning("bulk failed (%s); retrying in %.1fs", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
            continue
        retry: list[IndexOp] = []
        for op, result in zip(ops, results, strict=True):
            if result.outcome is Outcome.INDEXED:
                report.counts[op.source["kind"]] += 1
            elif result.outcome is Outcome.STALE:
                report.stale += 1
            elif result.outcome is Outcome.POISON:
                report.rejected.append(f"{op.doc_id}: {result.reason}")
            else:
                retry.append(op)
        if not retry:
            return
        ops = retry
        time.sleep(delay)
    raise RetryableEsError(f"{len(ops)} documents still refused after {WRITE_ATTEMPTS} attempts")


def reindex(
    es: Elasticsearch,
    alias: str,
    body: dict[str, Any],
    sources: Mapping[str, Sequence[str]],
    export: ExportPage,
    *,
    refresh_interval: str,
    page_size: int = 500,
    keep_old: bool = False,
    progress_every: float = 5.0,
) -> ReindexReport:
    started = time.monotonic()
    for stale in drop_building(es, alias):
        log.warning("deleted %s left behind by an aborted reindex", stale)
    index = create_building_index(es, alias, body)
    report = ReindexReport(index=index)
    log.info("reindex into %s started", index)
    next_progress = time.monotonic() + progress_every
    try:
        for service, kinds in sources.items():
            for kind in kinds:
                cursor: str | None = None
                while True:
                    page = export(service, kind, cursor, page_size)
                    ops: list[IndexOp] = []
                    for item in page.get("items", []):
                        try:
                            ops.append(to_index_op(record_from_export(item)))
                        except (ValueError, TypeError, KeyError) as exc:
                            report.rejected.append(f"{service}/{kind}: {exc}")
                    _write(es, index, ops, report)
                    if time.monotonic() >= next_progress:
                        log.info("reindex progress: %s", dict(report.counts))
                        next_progress = time.monotonic() + progress_every
                    cursor = page.get("next_cursor")
                    if not cursor:
                        break
                log.info("reindexed %s/%s: %d documents", service, kind, report.counts[kind])
        report.old_indices = swap_alias(es, alias, index, refresh_interval)
    except BaseException:
        log.exception("reindex failed; %s keeps serving, dropping %s", alias, index)
        with contextlib.suppress(NotFoundError):
            es.indices.delete(index=index)
        raise
    log.info("alias %s now points at %s (was %s)", alias, index, report.old_indices)
    if not keep_old:
        for old in report.old_indices:
            es.indices.delete(index=old)
        report.deleted_old = bool(report.old_indices)
    report.seconds = time.monotonic() - started
    return report


def rpc_export(proxy: Any, caller: Caller) -> ExportPage:
    """An ``ExportPage`` calling ``<service>.export`` through a nameko ``ClusterRpcProxy``."""

    def export(service: str, kind: str, cursor: str | None, limit: int) -> Mapping[str, Any]:
        # Signed per page: the identity is short-lived and a reindex is not.
        result: Mapping[str, Any] = getattr(proxy, service).export(
            caller.to_payload(), kind, cursor=cursor, limit=limit
        )
        return result

    return export


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m search.reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--keep-old", action="store_true", help="keep the previous index after the swap")
    parser.add_argument("--page-size", type=int, default=None, help="export page size")
    args = parser.parse_args(argv)

    # Imported here: nameko (and eventlet with it) is only needed by this entrypoint.
    from nameko.standalone.rpc import ClusterRpcProxy

    settings = SearchSettings()
    settings.refuse_dev_secrets()
    configure_logging("search-reindex", settings.log_level, settings.log_json)
    es = make_client(settings, retries=2)
    rpc_config = {"AMQP_URI": settings.rabbitmq_url}
    with ClusterRpcProxy(rpc_config, timeout=settings.search_rpc_timeout_seconds) as proxy:
        report = reindex(
            es,
            settings.search_alias,
            settings_index_body(settings),
            settings.search_reindex_sources,
            rpc_export(proxy, SYSTEM),
            refresh_interval=settings.search_refresh_interval,
            page_size=args.page_size or settings.search_reindex_page_size,
            keep_old=args.keep_old,
        )
    print(json.dumps(report.as_dict(), ensure_ascii=False))


if __name__ == "__main__":
    main()
