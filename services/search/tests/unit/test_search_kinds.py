"""The registry of kinds is the one source: contracts, builders, mapping and known kinds agree."""

from __future__ import annotations

from typing import Any

import pytest
from kernel import registry as services
from kernel.kinds import SearchKind
from kernel.registry import reindex_sources
from search.fields import KEYWORD, LONG, TEXT
from search.kinds import KNOWN_KINDS, REGISTRY, registry
from search.kinds.base import KindSpec, kind_specs
from search.mapping import COMMON_PROPERTIES, PROPERTIES, index_body, merged_properties
from search.record import Record


def _build(record: Record) -> dict[str, Any]:
    return {}


def test_every_published_kind_is_registered_with_the_contracts_events_and_owner():
    published = {
        service.name: services.search_kinds(service)
        for service in services.SERVICES
        if services.search_kinds(service)
    }
    assert tuple(k.kind for kinds in published.values() for k in kinds) == KNOWN_KINDS
    assert {"customer", "quote"} <= set(KNOWN_KINDS)
    for service, kinds in published.items():
        for kind in kinds:
            spec = REGISTRY[kind.kind]
            assert spec.contract == kind and spec.service == service
            assert spec.event_types == frozenset(kind.event_types) != frozenset()
    assert reindex_sources() == {service: [k.kind for k in kinds] for service, kinds in published.items()}


def test_mapping_is_the_common_fields_plus_every_kinds_fragment_and_nothing_else():
    fragments: dict[str, Any] = {}
    for spec in REGISTRY.values():
        fragments.update(spec.fields)
    assert {**COMMON_PROPERTIES, **fragments} == PROPERTIES
    assert set(fragments).isdisjoint(COMMON_PROPERTIES)  # a kind's own field is declared once
    body = index_body(refresh_interval="1s", shards=1, replicas=0)
    assert body["mappings"] == {
        "dynamic": "strict",
        "_source": {"excludes": ["display"]},  # read from doc values only (search.display)
        "properties": PROPERTIES,
    }


def test_a_kind_field_mapped_two_ways_is_refused():
    a = KindSpec(SearchKind("a", "A", "/a/{id}"), "svc", _build, {"amount_due": LONG})
    b = KindSpec(SearchKind("b", "B", "/b/{id}"), "svc", _build, {"amount_due": KEYWORD})
    same = KindSpec(SearchKind("c", "C", "/c/{id}"), "svc", _build, {"amount_due": LONG})
    assert merged_properties([a, same])["amount_due"] == LONG
    with pytest.raises(ValueError, match="amount_due"):
        merged_properties([a, b])
    with pytest.raises(ValueError, match="title"):
        merged_properties([KindSpec(SearchKind("d", "D", "/d"), "svc", _build, {"title": KEYWORD})])
    assert merged_properties([KindSpec(SearchKind("e", "E", "/e"), "svc", _build, {"title": TEXT})])


def test_a_kind_registered_twice_or_published_without_a_builder_is_refused():
    spec = KindSpec(SearchKind("a", "A", "/a/{id}"), "svc", _build)
    with pytest.raises(ValueError, match="twice"):
        registry([spec], [spec])
    published = (SearchKind("a", "A", "/a/{id}"), SearchKind("b", "B", "/b/{id}"))
    with pytest.raises(ValueError, match=r"without a search builder \['b'\]"):
        kind_specs("svc", published, {"a": (_build, {})})
    with pytest.raises(ValueError, match=r"unpublished kinds \['z'\]"):
        kind_specs("svc", published[:1], {"a": (_build, {}), "z": (_build, {})})
    (only,) = kind_specs("svc", published[:1], {"a": (_build, {"x": KEYWORD})})
    assert (only.kind, only.service, dict(only.fields)) == ("a", "svc", {"x": KEYWORD})
