"""What every kind's document has in common (DESIGN §4), built once here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kernel.kinds import SearchKind

from search import enrich
from search.record import Record, doc_id

Builder = Callable[[Record], dict[str, Any]]

SUMMARY_SEPARATOR = " · "
TITLE_MAX = 120


@dataclass(frozen=True)
class Boost:
    """A ranking feature of one kind: its documents whose ``field`` equals ``value`` score
    ``weight`` times what the text match gives (e.g. a quote's final version above the versions it
    superseded). Applied in the query as a multiplicative function, never as a filter."""

    field: str
    value: Any
    weight: float


@dataclass(frozen=True, eq=False)
class KindSpec:
    """Everything search knows about one record kind. The label, link and event types are the
    owning service's contract (``<svc>.contracts.SEARCH_KINDS``); search adds how to build the
    document and the mapping of the fields only this kind has (common ones live in
    ``search.mapping``)."""

    contract: SearchKind
    service: str  # owner: its ``export`` RPC refills the index on a reindex
    build: Builder
    fields: Mapping[str, Any] = field(default_factory=dict)
    # Document fields a hit of this kind carries beside the common ones (a quote: its version
    # number and whether it is final). The builder puts the public ``id`` in the document; the
    # Elasticsearch id stays per aggregate (``doc_id``), so one record may have many documents.
    hit_fields: tuple[str, ...] = ()
    boosts: tuple[Boost, ...] = ()

    @property
    def kind(self) -> str:
        return self.contract.kind

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.contract.event_types)


def kind_specs(
    service: str,
    published: Iterable[SearchKind],
    builders: Mapping[str, tuple[Builder, Mapping[str, Any]]],
    *,
    hit_fields: Mapping[str, Sequence[str]] | None = None,
    boosts: Mapping[str, Sequence[Boost]] | None = None,
) -> tuple[KindSpec, ...]:
    """Pair a service's published kinds with their builders (kind → (builder, mapping fragment)),
    and optionally the fields their hits carry and their ranking boosts (kind → ...).

    A kind published without a builder, or built but not published, fails here at import time:
    otherwise the first would dead-letter every event and the second never receive one.
    """
    published = tuple(published)
    names = [k.kind for k in published]
    missing, extra = set(names) - set(builders), set(builders) - set(names)
    if missing or extra:
        raise ValueError(
            f"{service}: kinds published without a search builder {sorted(missing)}, "
            f"builders for unpublished kinds {sorted(extra)}"
        )
    for name, extras in (("hit fields", hit_fields or {}), ("boosts", boosts or {})):
        if set(extras) - set(names):
            raise ValueError(f"{service}: {name} for unpublished kinds {sorted(set(extras) - set(names))}")
    return tuple(
        KindSpec(
            k,
            service,
            builders[k.kind][0],
            builders[k.kind][1],
            hit_fields=tuple((hit_fields or {}).get(k.kind, ())),
            boosts=tuple((boosts or {}).get(k.kind, ())),
        )
        for k in published
    )


def required(data: dict[str, Any], key: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise ValueError(f"data.{key} is required")
    return value


def text_or_none(value: Any) -> str | None:
    return enrich.normalize(value) if isinstance(value, str) and value.strip() else None


def summary(*parts: Any) -> str:
    flat: list[str] = []
    for part in parts:
        if isinstance(part, list | tuple):
            flat += [str(p) for p in part if p]
        elif part:
            flat.append(str(part))
    return SUMMARY_SEPARATOR.join(flat)


def first_line(text: str, limit: int = TITLE_MAX) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def base_document(
    record: Record,
    *,
    title: str,
    owner_id: str | None,
    team_id: str | None,
    customer_name: str | None = None,
    body: str | None = None,
    status: str | None = None,
    names: Sequence[str] = (),
    alt_names: Sequence[str] = (),
    acl: Iterable[str],
    summary_text: str | None = None,
    created_at: str | None = None,
    updated_at: str | None = None,
    occurred_at: str | None = None,
    due_at: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """Common fields; ``names`` are what pinyin, initials and typeahead are built from.

    ``acl``: the principals who may read the record, from the producing service's access policy
    (the same definition its ``get`` and list filters use), never listed here by hand.
    """
    pinyin, initials, pinyin_start = enrich.pinyin_terms(names)
    fallback_occurred = record.occurred_at.isoformat() if record.occurred_at else None
    doc: dict[str, Any] = {
        "doc_id": doc_id(record.kind, record.id),
        "kind": record.kind,
        "id": record.id,
        "customer_id": record.customer_id,
        "version": record.version,
        "deleted": False,
        # Searchable copies are normalised (width, Traditional → Simplified); the originals are
        # kept, unindexed, for display.
        "title": enrich.normalize(title),
        "customer_name": text_or_none(customer_name),
        "body": text_or_none(body),
        "alt_names": [enrich.normalize(n) for n in alt_names if n],
        "name_key": enrich.name_keys(names),
        "name_prefix": enrich.name_prefix_terms(names),
        "pinyin": pinyin,
        "initials": initials,
        "pinyin_start": pinyin_start,
        "status": status,
        "owner_id": owner_id,
        "team_id": team_id,
        "acl": list(acl),
        "created_at": created_at,
        "updated_at": updated_at or fallback_occurred,
        "occurred_at": occurred_at,
        "due_at": due_at,
        "amount": amount,
        "currency": currency,
        "orig": {"title": title, "customer_name": customer_name, "summary": summary_text or None},
    }
    return {key: value for key, value in doc.items() if value not in (None, [])}


def tombstone_document(record: Record) -> dict[str, Any]:
    """Kept instead of deleting, so a late update (lower version) is refused by ES, not resurrected."""
    doc: dict[str, Any] = {
        "doc_id": doc_id(record.kind, record.id),
        "kind": record.kind,
        "id": record.id,
        "customer_id": record.customer_id or record.data.get("customer_id"),
        "version": record.version,
        "deleted": True,
        "acl": [],
    }
    if record.occurred_at is not None:
        doc["updated_at"] = record.occurred_at.isoformat()
    return {key: value for key, value in doc.items() if value is not None}
