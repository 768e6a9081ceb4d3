"""Hits are read from the ``display`` doc values; documents from before that field still show
and page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from kernel.identity import Caller
from kernel.ids import new_id
from search.documents import to_index_op
from search.record import Record
from search_support import customer_data

pytestmark = pytest.mark.integration

ADMIN = Caller("admin-display", ("admin",))


def _write(es: Any, alias: str, data: dict[str, Any], *, legacy: bool) -> None:
    op = to_index_op(Record("customer", data["id"], 1, data["id"], data, datetime.now(UTC)))
    # Before display, the sort's tiebreaker was doc_id: such documents have no doc_seq either.
    source = {k: v for k, v in op.source.items() if not (legacy and k in ("display", "doc_seq"))}
    es.index(index=alias, id=op.doc_id, document=source, version=1, version_type="external", refresh=True)


def test_documents_indexed_before_the_display_field_are_shown_from_their_source(
    indexers, es, engine, search_settings
):
    token = new_id()[-8:].lower()
    current = customer_data(f"Displayco {token} Current Ltd", "u-display")
    legacy = customer_data(f"Displayco {token} Legacy Ltd", "u-display")
    _write(es, search_settings.search_alias, current, legacy=False)
    _write(es, search_settings.search_alias, legacy, legacy=True)

    page = engine.search(ADMIN, f"displayco {token}")
    shown = {item["id"]: item for item in page["items"]}
    assert set(shown) == {current["id"], legacy["id"]}
    for data in (current, legacy):
        item = shown[data["id"]]
        assert (item["kind"], item["title"], item["status"]) == ("customer", data["name"], "active")
        assert item["title_html"] == f"<em>Displayco {token}</em> {data['name'].split()[2]} Ltd"
    suggested = {s["id"]: s["title"] for s in engine.suggest(ADMIN, f"displayco {token}")}
    assert suggested == {current["id"]: current["name"], legacy["id"]: legacy["name"]}
    first = engine.search(ADMIN, f"displayco {token}", limit=1)
    second = engine.search(ADMIN, f"displayco {token}", limit=1, cursor=first["next_cursor"])
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {current["id"], legacy["id"]}
    assert second["next_cursor"] is None


def test_the_blob_is_kept_in_doc_values_only(indexers, es, engine, search_settings):
    data = customer_data(f"Blobco {new_id()[-8:].lower()} Ltd", "u-display")
    _write(es, search_settings.search_alias, data, legacy=False)
    stored = es.get(index=search_settings.search_alias, id=f"customer:{data['id']}")["_source"]
    assert "display" not in stored and stored["title"] == data["name"]
    assert [item["title"] for item in engine.search(ADMIN, data["name"])["items"]] == [data["name"]]
