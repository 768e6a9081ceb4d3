"""Decoding one broker message into an index write, or a reason to dead-letter it.

Everything that can never succeed however often it is retried is poison: bad JSON, an envelope
that fails the kernel schema, a kind or event type search does not know, data a builder rejects.
"""

from __future__ import annotations

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


def _invalid_json(exc: PydanticValidationError) -> str | None:
    """The parse error when the body is not JSON at all (pydantic reports it as ``json_invalid``)."""
    errors = exc.errors(include_url=False)
    if errors and errors[0]["type"] == "json_invalid":
        return str(errors[0]["msg"]).removeprefix("Invalid JSON: ")
    return None


def decode(body: bytes) -> IndexOp | Poison:
    # One parse: pydantic reads the JSON and validates the envelope in a single pass (a separate
    # ``json.loads`` first cost as much as the validation itself); undecodable bytes and broken
    # JSON come back as a ``json_invalid`` error and are still reported as invalid JSON.
    try:
        envelope = Envelope.from_json(body)
    except PydanticValidationError as exc:
        not_json = _invalid_json(exc)
        if not_json is not None:
            return Poison(_short(f"invalid json: {not_json}"))
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
