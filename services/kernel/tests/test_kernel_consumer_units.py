"""The consumer's retry policy and the entrypoint's refusal of a second handler (no servers)."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.consumer import (
    DeadLetter,
    IdempotentConsumer,
    Outcome,
    RetryPolicy,
    consumer_tables,
    parse_envelope,
)
from kernel.envelope import Envelope, make_event
from kernel.errors import ValidationError
from kernel.event_handlers import idempotent_event_handler
from nameko.containers import ServiceContainer
from sqlalchemy import MetaData

TABLES = consumer_tables(MetaData())


def _event() -> Envelope:
    return make_event(
        type="thing.changed", source="probe", aggregate_type="thing", aggregate_id="t1",
        version=1, actor_id="system", data={},
    )  # fmt: skip


class ScriptedConsumer(IdempotentConsumer):
    """apply_once replaced by a script of outcomes and errors (the database part: integration)."""

    def __init__(self, script: list[Any], retry: RetryPolicy) -> None:
        self.slept: list[float] = []
        super().__init__(None, TABLES, retry=retry, sleep=self.slept.append)  # type: ignore[arg-type]
        self.script = script
        self.calls = 0

    def apply_once(self, event: Envelope, handler: Any) -> Outcome:
        step = self.script[self.calls]
        self.calls += 1
        if isinstance(step, BaseException):
            raise step
        return step  # type: ignore[no-any-return]


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_initial=0.5, backoff_max=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_transient_failures_are_retried_with_backoff() -> None:
    consumer = ScriptedConsumer(
        [RuntimeError("db gone"), RuntimeError("db gone"), Outcome.APPLIED], RetryPolicy()
    )
    assert consumer.consume(_event(), lambda s, e: None) is Outcome.APPLIED
    assert consumer.calls == 3
    assert consumer.slept == [0.5, 1.0]


def test_persistent_failure_becomes_a_dead_letter_with_the_reason() -> None:
    consumer = ScriptedConsumer([RuntimeError("boom")] * 3, RetryPolicy(max_attempts=3))
    with pytest.raises(DeadLetter) as caught:
        consumer.consume(_event(), lambda s, e: None)
    assert caught.value.reason == "RuntimeError: boom"
    assert caught.value.attempts == 3
    assert len(consumer.slept) == 2


def test_validation_errors_are_not_retried() -> None:
    consumer = ScriptedConsumer([ValidationError.for_field("data.id", "required")], RetryPolicy())
    with pytest.raises(DeadLetter) as caught:
        consumer.consume(_event(), lambda s, e: None)
    assert caught.value.attempts == 1
    assert consumer.slept == []


def test_a_malformed_envelope_is_a_dead_letter() -> None:
    with pytest.raises(DeadLetter, match="malformed envelope"):
        parse_envelope({"id": "x"})
    assert parse_envelope(_event().to_json()).aggregate.id == "t1"


def test_two_handlers_of_one_event_type_in_one_service_are_refused() -> None:
    class Twice:
        name = "twice"

        @idempotent_event_handler("probe", "thing.changed", tables=TABLES)
        def first(self, session: Any, event: Envelope) -> None: ...

        @idempotent_event_handler("probe", "thing.changed", tables=TABLES)
        def second(self, session: Any, event: Envelope) -> None: ...

    container = ServiceContainer(Twice, {"AMQP_URI": "memory://"})
    with pytest.raises(ValueError, match="one handler per event type"):
        for entrypoint in container.entrypoints:
            entrypoint.setup()
