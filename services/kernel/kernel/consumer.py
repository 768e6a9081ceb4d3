"""Idempotent event consumption (framework-free): each event changes a service's state once.

A consumer claims the event id (``processed_events``) and moves the aggregate's version mark
(``consumed_versions``) forward in the SAME transaction as the handler's own writes — the
service's unit of work (``kernel.uow``), so the handler records its changes with
``unit.record`` like any use case — and a crash anywhere leaves either all of it or none. A
redelivered event finds its id claimed; an event older than (or as old as) the state already
applied finds the version mark ahead of it. Either way the handler is not called and the
delivery is simply acknowledged.

Failures are retried here with exponential backoff (each attempt a fresh transaction); what still
fails, or can never succeed (a malformed envelope, a ValidationError), raises ``DeadLetter`` so
the entrypoint moves the message to its dead-letter queue with the reason.

Service tables come from ``consumer_tables(metadata)``: one line in the service's models.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError as SchemaError
from sqlalchemy import BigInteger, Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from kernel.db import transaction
from kernel.envelope import Envelope
from kernel.errors import ValidationError
from kernel.identity import Caller
from kernel.outbox import claim_event, processed_events_table

log = logging.getLogger(__name__)

REASON_MAX_CHARS = 500


def consumed_versions_table(metadata: MetaData) -> Table:
    """The newest version applied per aggregate (keyed by aggregate type + id)."""
    return Table(
        "consumed_versions",
        metadata,
        Column("aggregate_type", String(50), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("version", BigInteger, nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("consumed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("aggregate_type", "aggregate_id", name="pk_consumed_versions"),
    )


@dataclass(frozen=True)
class ConsumerTables:
    processed_events: Table
    consumed_versions: Table


def consumer_tables(metadata: MetaData) -> ConsumerTables:
    """Both consumer tables on ``metadata`` (reusing a ``processed_events`` already defined there)."""
    processed = metadata.tables.get("processed_events")
    if processed is None:
        processed = processed_events_table(metadata)
    versions = metadata.tables.get("consumed_versions")
    if versions is None:
        versions = consumed_versions_table(metadata)
    return ConsumerTables(processed_events=processed, consumed_versions=versions)


def claim_version(session: Session, table: Table, event: Envelope) -> bool:
    """Move the aggregate's mark to the event's version; False when it already is there or beyond.

    The upsert row-locks the aggregate's mark until commit, so two consumers of versions of one
    aggregate apply them one after the other, never interleaved.
    """
    agg = event.aggregate
    stmt = insert(table).values(
        aggregate_type=agg.type, aggregate_id=agg.id, version=agg.version, event_id=event.id
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["aggregate_type", "aggregate_id"],
        set_={
            "version": stmt.excluded.version,
            "event_id": stmt.excluded.event_id,
            "consumed_at": func.now(),
        },
        where=table.c.version < stmt.excluded.version,
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def held_version(session: Session, table: Table, aggregate_type: str, aggregate_id: str) -> int | None:
    row = session.execute(
        table.select().where(table.c.aggregate_type == aggregate_type, table.c.aggregate_id == aggregate_id)
    ).first()
    return None if row is None else int(row.version)


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this event id was handled before
    STALE = "stale"  # a version at least as new was applied before


class DeadLetter(Exception):
    """The event cannot be handled: the entrypoint dead-letters it with ``reason``."""

    def __init__(self, reason: str, attempts: int) -> None:
        self.reason = reason[:REASON_MAX_CHARS]
        self.attempts = attempts
        super().__init__(self.reason)


class PoisonEvent(Exception):
    """Raised by a handler for an event that no retry can fix (dead-lettered at once)."""


# Deterministic failures: retrying them only delays the dead letter.
NOT_RETRYABLE: tuple[type[BaseException], ...] = (PoisonEvent, ValidationError, SchemaError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.backoff_initial * 2 ** (attempt - 1), self.backoff_max))


W = TypeVar("W")
Handler = Callable[[W, Envelope], None]
# Opens the transaction an event is applied in: a context manager that commits on success.
Begin = Callable[[Envelope], AbstractContextManager[W]]


def event_caller(event: Envelope) -> Caller:
    """Who the consumer's changes are made for: the event's actor (audit lines and the events
    it emits name them), with the system's authority (they are consequences, not requests)."""
    return Caller(user_id=event.actor.user_id, roles=("system",))


def in_units(units: Any) -> Begin[Any]:
    """Apply events in ``units.begin(caller)`` (a ``kernel.uow.Units``), as the event's actor."""
    return lambda event: units.begin(event_caller(event))


def in_sessions(sessions: sessionmaker[Session]) -> Begin[Session]:
    """Apply events in a bare session (a service without a unit of work)."""
    return lambda event: transaction(sessions)


def session_of(work: Any) -> Session:
    return work if isinstance(work, Session) else work.session  # type: ignore[no-any-return]


def reason_of(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:REASON_MAX_CHARS]


def parse_envelope(payload: Any) -> Envelope:
    """The envelope of a delivered body (dict or JSON); a malformed one is a dead letter at once."""
    try:
        if isinstance(payload, bytes | str):
            return Envelope.from_json(payload)
        return Envelope.model_validate(payload)
    except SchemaError as exc:
        raise DeadLetter(f"malformed envelope: {reason_of(exc)}", attempts=0) from exc


class IdempotentConsumer(Generic[W]):
    def __init__(
        self,
        begin: Begin[W],
        tables: ConsumerTables,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.begin = begin
        self.tables = tables
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    def apply_once(self, event: Envelope, handler: Handler[W]) -> Outcome:
        """One attempt: claim the id, check the version and run the handler in one transaction."""
        with self.begin(event) as work:
            session = session_of(work)
            if not claim_event(session, self.tables.processed_events, event.id):
                return Outcome.DUPLICATE
            if not claim_version(session, self.tables.consumed_versions, event):
                return Outcome.STALE  # the id stays claimed: a redelivery skips even the version check
            handler(work, event)
            return Outcome.APPLIED

    def consume(self, event: Envelope, handler: Handler[W]) -> Outcome:
        """``apply_once`` with retries; raises DeadLetter when the event cannot be applied."""
        attempt = 1
        while True:
            try:
                outcome = self.apply_once(event, handler)
            except NOT_RETRYABLE as exc:
                raise DeadLetter(reason_of(exc), attempts=attempt) from exc
            except Exception as exc:
                if attempt >= self.retry.max_attempts:
                    raise DeadLetter(reason_of(exc), attempts=attempt) from exc
                delay = self.retry.delay(attempt)
                log.warning(
                    "event %s (%s) failed on attempt %d/%d (%s); retrying in %.1fs",
                    event.id, event.type, attempt, self.retry.max_attempts, reason_of(exc), delay,
                )  # fmt: skip
                self.sleep(delay)
                attempt += 1
                continue
            if outcome is not Outcome.APPLIED:
                log.info(
                    "event %s (%s v%d) skipped: %s",
                    event.id,
                    event.type,
                    event.aggregate.version,
                    outcome.value,
                )
            return outcome
