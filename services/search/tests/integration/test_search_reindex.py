"""Reindex: a new index filled from export RPCs, events during the rebuild kept, alias swapped
atomically while searches keep answering."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import NotFoundError
from kernel.identity import Caller
from kernel.ids import new_id
from search.es import settings_index_body
from search.indices import building_alias, ensure_index, indices_behind
from search.query import SearchEngine
from search.reindex import reindex
from search_support import (
    bump,
    contact_data,
    customer_data,
    event,
    queue_consumers,
    run_module,
    settings_env,
    stop_process,
    wait_for,
)

pytestmark = pytest.mark.integration

ADMIN = Caller("u-admin-reindex", ("admin",))


def export_item(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "aggregate": {"type": kind, "id": data["id"], "version": data["version"]},
        "customer_id": data.get("customer_id", data["id"]),
        "data": data,
    }


def _version(es: Any, target: str, doc_id: str) -> int | None:
    # GET is real-time: it sees the building index although that one does not refresh yet.
    try:
        return int(es.get(index=target, id=doc_id)["_version"])
    except NotFoundError:
        return None


def test_reindex_keeps_events_published_during_the_rebuild(es, amqp, publish, search_settings, spawn):
    alias = f"{search_settings.search_alias}-reindex"
    queue = f"{search_settings.search_queue}.reindex"
    spawn("search.indexer", "reindex-indexer", PANORAMA_SEARCH_ALIAS=alias, PANORAMA_SEARCH_QUEUE=queue)
    wait_for(lambda: queue_consumers(amqp, queue) == 1, timeout=20, what="the reindex indexer")
    engine = SearchEngine(es, alias)
    token = new_id()[-8:]

    x = customer_data(f"Reindex {token} Alpha", owner_id="u-ri")
    publish(event("customer", "created", x))
    x_id = f"customer:{x['id']}"
    wait_for(lambda: engine.search(ADMIN, f"reindex {token}")["items"], what="x v1 searchable")
    old = indices_behind(es, alias)
    y = customer_data(f"Reindex {token} Yankee", owner_id="u-ri")  # only the export knows it
    x_v2 = bump(x, name=f"Reindex {token} Beta")

    def export(service: str, kind: str, cursor: str | None, limit: int) -> dict[str, Any]:
        assert (service, limit) == ("customers", 1)
        if kind != "customer":
            return {"items": [], "next_cursor": None}
        if cursor is None:
            return {"items": [export_item("customer", y)], "next_cursor": "1"}
        # The export has "read" x at v1; x changes before the page is written. The indexer must
        # put v2 into the building index, and the stale v1 from the export must not win.
        publish(event("customer", "updated", x_v2))
        wait_for(lambda: _version(es, building_alias(alias), x_id) == 2, what="x v2 in the new index")
        return {"items": [export_item("customer", x)], "next_cursor": None}

    done = threading.Event()
    outcomes: list[bool | BaseException] = []

    def keep_searching() -> None:
        while not done.is_set():
            try:
                outcomes.append(
                    x["id"] in [i["id"] for i in engine.search(ADMIN, f"reindex {token}")["items"]]
                )
            except BaseException as exc:
                outcomes.append(exc)

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        report = reindex(
            es,
            alias,
            settings_index_body(search_settings),
            {"customers": ["customer", "contact"]},
            export,
            refresh_interval=search_settings.search_refresh_interval,
            page_size=1,
        )
    finally:
        done.set()
        searcher.join()

    assert report.counts == {"customer": 1} and report.stale == 1 and not report.rejected
    assert indices_behind(es, alias) == [report.index] and report.index not in old
    assert report.old_indices == old and not es.indices.exists(index=old[0])
    assert not es.indices.exists_alias(name=building_alias(alias))
    assert len(outcomes) > 3 and all(o is True for o in outcomes), outcomes
    titles = {i["title"] for i in engine.search(ADMIN, f"reindex {token}")["items"]}
    assert titles == {f"Reindex {token} Beta", f"Reindex {token} Yankee"}

    # After the swap the indexer keeps writing through the alias, into the new index.
    publish(event("customer", "updated", bump(x_v2, name=f"Reindex {token} Gamma")))
    wait_for(lambda: _version(es, alias, x_id) == 3, what="x v3 after the swap")


def test_reindex_entrypoint_reads_the_export_rpc(es, search_settings, spawn, amqp, tmp_path: Path):
    alias = f"{search_settings.search_alias}-rpc"
    body = settings_index_body(search_settings)
    old = ensure_index(es, alias, body)
    es.index(index=alias, id="customer:gone", document={"kind": "customer", "id": "gone"}, refresh=True)

    service = f"search_test_export_{new_id()[-8:].replace('-', '')}"
    customers = [customer_data(f"Exported {i} {new_id()}", owner_id="u-exp") for i in range(3)]
    contact = contact_data(customers[0], "Exported Contact", phones=["13900001111"])
    export_file = tmp_path / "export.json"
    export_file.write_text(
        json.dumps(
            {
                "customer": [export_item("customer", c) for c in customers],
                "contact": [export_item("contact", contact)],
            }
        )
    )
    here = Path(__file__).resolve().parent
    exporter = spawn(
        str(here / "fake_export_service.py"),
        "fake-export",
        FAKE_EXPORT_SERVICE_NAME=service,
        FAKE_EXPORT_FILE=str(export_file),
    )
    wait_for(lambda: queue_consumers(amqp, f"rpc-{service}"), timeout=20, what="the fake export service")

    env = {
        **settings_env(search_settings),
        "PANORAMA_SEARCH_ALIAS": alias,
        "PANORAMA_SEARCH_REINDEX_SOURCES": json.dumps({service: ["customer", "contact"]}),
        "PANORAMA_SEARCH_REINDEX_PAGE_SIZE": "2",
    }
    try:
        done = run_module("search.reindex", [], env)
    finally:
        stop_process(exporter)
        amqp.queue_delete(f"rpc-{service}")  # nameko declares it durable
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["counts"] == {"customer": 3, "contact": 1}
    assert report["old_indices"] == [old] and report["deleted_old"] is True
    assert indices_behind(es, alias) == [report["index"]]
    found = SearchEngine(es, alias).search(ADMIN, "1111")["items"]
    assert [item["id"] for item in found] == [contact["id"]]
