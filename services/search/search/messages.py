"""Decoding one broker message into an index write, or a reason to dead-letter it.

Everything that can never succeed however often it is retried is poison: bad JSON, an envelope
that fails the kernel schema, a kind or event type search does not know, data a builder rejects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kernel.envelope import Envelope
from pydantic import ValidationError as PydanticValidationError

from search.documents import IndexOp, to_index_op
from search.kinds import REGISTRY
from search.record import Record

REASON_MAX = 1000


@dataclass(frozen=True)
class Poison:
    reason: str


def _short(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def record_from_envelope(envelope: Envelope) -> Record:
    return Record(
        kind=envelope.aggregate.type,
        id=envelope.aggregate.id,
        version=envelope.aggregate.version,
        customer_id=envelope.customer_id,
        data=envelope.data,
        occurred_at=envelope.occurred_at,
    )


def decode(body: bytes) -> IndexOp | Poison:
    try:
        json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Poison(_short(f"invalid json: {exc}"))
    try:
        envelope = Envelope.from_json(body)
    except PydanticValidationError as exc:
        return Poison(
            _short(
                f"invalid envelope: {exc.error_count()} error(s): {exc.errors()[0]['loc']} "
                f"{exc.errors()[0]['msg']}"
            )
        )
    spec = REGISTRY.get(envelope.aggregate.type)
    if spec is None:
        return Poison(f"unknown kind: {envelope.aggregate.type!r}")
    if envelope.type not in spec.event_types:
        return Poison(f"unknown event type: {envelope.type!r}")
    try:
        return to_index_op(record_from_envelope(envelope))
    except Exception as exc:  # whatever a builder trips over is this message's problem, not the batch's
        return Poison(_short(f"unbuildable {envelope.type}: {exc!r}"))
