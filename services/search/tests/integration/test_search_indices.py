"""Index bootstrap against the real ES: concurrent ensure_index converges on one index."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError
from search.es import settings_index_body
from search.indices import ensure_index, indices_behind, new_index_name
from search.kinds import REGISTRY
from search.mapping import PROPERTIES

pytestmark = pytest.mark.integration


def _create(es, alias: str, body: dict) -> str:
    name = new_index_name(alias)
    es.indices.create(index=name, settings=body["settings"], mappings=body["mappings"], aliases={alias: {}})
    return name


def test_ensure_index_creates_once_and_is_idempotent(es, search_settings):
    alias = f"{search_settings.search_alias}-ensure"
    body = settings_index_body(search_settings)
    name = ensure_index(es, alias, body)
    assert name.startswith(f"{alias}-") and indices_behind(es, alias) == [name]
    assert ensure_index(es, alias, body) == name
    settings = es.indices.get_settings(index=name)[name]["settings"]["index"]
    assert settings["refresh_interval"] == "500ms" and settings["number_of_replicas"] == "0"
    # fewer, larger segments than Lucene's defaults (10 per tier, 2 MB floor): see mapping.index_body
    assert settings["merge"]["policy"] == {"segments_per_tier": "5", "floor_segment": "8mb"}


def test_a_creation_race_converges_on_the_lowest_name(es, search_settings):
    alias = f"{search_settings.search_alias}-race"
    body = settings_index_body(search_settings)
    first, second = _create(es, alias, body), _create(es, alias, body)
    assert ensure_index(es, alias, body) == min(first, second)
    assert indices_behind(es, alias) == [min(first, second)]
    assert not es.indices.exists(index=max(first, second))


def test_an_alias_created_by_another_process_meanwhile_is_not_a_concrete_index(
    es, search_settings, monkeypatch
):
    """Two indexers starting together: one looks behind the alias (nothing yet), the other creates
    it, then the first checks the name. It used to take the new alias for a concrete index."""
    import search.indices as indices

    alias = f"{search_settings.search_alias}-late"
    body = settings_index_body(search_settings)
    theirs = _create(es, alias, body)
    real = indices.indices_behind
    calls: list[str] = []

    def first_look_sees_nothing(es_, a):
        calls.append(a)
        return [] if len(calls) == 1 else real(es_, a)

    monkeypatch.setattr(indices, "indices_behind", first_look_sees_nothing)
    assert ensure_index(es, alias, body) == theirs
    assert real(es, alias) == [theirs]


def test_ensure_index_refuses_to_drop_data(es, search_settings):
    alias = f"{search_settings.search_alias}-guard"
    body = settings_index_body(search_settings)
    _create(es, alias, body)
    other = _create(es, alias, body)
    es.index(index=other, id="customer:x", document={"kind": "customer", "id": "x"}, refresh=True)
    with pytest.raises(RuntimeError, match="non-empty"):
        ensure_index(es, alias, body)


def test_the_derived_mapping_is_strict_and_takes_every_kinds_own_fields(es, search_settings):
    alias = f"{search_settings.search_alias}-strict"
    name = ensure_index(es, alias, settings_index_body(search_settings))
    mapped = es.indices.get_mapping(index=name)[name]["mappings"]
    assert mapped["dynamic"] == "strict" and set(mapped["properties"]) == set(PROPERTIES)
    for spec in REGISTRY.values():  # each kind's fragment reached the index
        for field, definition in spec.fields.items():
            assert mapped["properties"][field]["type"] == definition["type"]
    es.index(index=alias, id="contact:ok", document={"kind": "contact", "id": "ok", "role": "user"})
    with pytest.raises(BadRequestError) as refused:
        es.index(index=alias, id="contact:x", document={"kind": "contact", "id": "x", "rol": "typo"})
    assert refused.value.error == "strict_dynamic_mapping_exception"


def test_an_index_from_before_the_display_blob_gets_its_fields_in_place(es, search_settings):
    # Made by an older release: no display/doc_seq fields and the blob not excluded from _source,
    # which cannot change in place. ensure_index adds the fields and leaves _source as it is.
    alias = f"{search_settings.search_alias}-older"
    body = settings_index_body(search_settings)
    older = {
        "dynamic": "strict",
        "properties": {k: v for k, v in PROPERTIES.items() if k not in ("display", "doc_seq")},
    }
    name = _create(es, alias, {**body, "mappings": older})
    assert ensure_index(es, alias, body) == name
    mapped = es.indices.get_mapping(index=name)[name]["mappings"]
    assert {"display", "doc_seq"} <= set(mapped["properties"]) and "_source" not in mapped
    fresh = ensure_index(es, f"{alias}-new", body)
    assert es.indices.get_mapping(index=fresh)[fresh]["mappings"]["_source"] == {"excludes": ["display"]}
