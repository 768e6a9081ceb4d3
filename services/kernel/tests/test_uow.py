"""The kernel unit of work: the audit-and-emit step, the retry, the fake, the RPC entrypoint."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from kernel.entrypoints import EXPECTED_ERRORS, rpc
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import SYSTEM, Caller
from kernel.memory import FakeUnitOfWork, MemoryStore
from kernel.uow import GUARD_MISSES, RETRIES, GuardFailed, Units, is_retryable
from nameko.rpc import Rpc

ALICE = Caller("u-alice", ("sales",), "t1")


class PgError(Exception):
    """Stands in for psycopg2's error (SQLAlchemy wraps it as ``orig``)."""

    def __init__(self, pgcode: str) -> None:
        super().__init__(pgcode)
        self.pgcode = pgcode


class Wrapped(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(pgcode)
        self.orig = PgError(pgcode)


def units(store: MemoryStore) -> Units[FakeUnitOfWork]:
    return Units(lambda caller: FakeUnitOfWork(store, caller, service="demo"), first_wait=0, max_wait=0)


def test_record_emits_the_full_state_and_audits_the_change():
    store = MemoryStore()

    def rename(unit: FakeUnitOfWork) -> None:
        state = {"id": "c1", "version": 2, "name": "new"}
        unit.record("customer", "updated", state, customer_id="c1", changes={"name": ["old", "new"]})

    units(store).run(ALICE, rename)
    [event] = store.events
    assert (event.type, event.source, event.aggregate.id, event.aggregate.version) == (
        "customer.updated",
        "demo",
        "c1",
        2,
    )
    assert event.actor.user_id == "u-alice" and event.customer_id == "c1"
    [line] = store.audit_log
    assert (line.actor_id, line.entity_type, line.entity_id, line.action) == (
        "u-alice",
        "customer",
        "c1",
        "updated",
    )
    assert line.changes == {"name": ["old", "new"]}


def test_a_republished_record_is_emitted_but_not_audited():
    store = MemoryStore()

    def republish(unit: FakeUnitOfWork) -> None:
        unit.record(
            "contact", "updated", {"id": "k1", "version": 3}, customer_id="c1", changes={"version": [2, 3]}
        )
        unit.record("contact", "deleted", {"id": "k2", "version": 4, "deleted": True}, customer_id="c1")

    units(store).run(ALICE, republish)
    assert store.event_types() == ["contact.updated", "contact.deleted"]
    assert [(a.entity_id, a.action) for a in store.audit_log] == [("k2", "deleted")]


def test_a_failing_use_case_leaves_nothing_behind():
    store = MemoryStore()

    def half_way(unit: FakeUnitOfWork) -> None:
        unit.record("customer", "created", {"id": "c1", "version": 1}, customer_id="c1")
        raise NotFound("later step failed")

    with pytest.raises(NotFound):
        units(store).run(ALICE, half_way)
    assert store.events == [] and store.audit_log == [] and store.commits == 0


@pytest.mark.parametrize("code", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_rerun_the_whole_unit(code):
    store = MemoryStore()
    calls: list[int] = []

    def flaky(unit: FakeUnitOfWork) -> str:
        calls.append(1)
        unit.record("customer", "created", {"id": f"c{len(calls)}", "version": 1}, customer_id="c")
        if len(calls) < 3:
            raise Wrapped(code)
        return "ok"

    before = RETRIES.labels(code)._value.get()
    assert units(store).run(ALICE, flaky) == "ok"
    assert len(calls) == 3
    assert [e.aggregate.id for e in store.events] == ["c3"]  # the aborted attempts left nothing
    assert RETRIES.labels(code)._value.get() == before + 2


def test_a_failed_guard_runs_the_call_again_once_without_assumptions():
    store = MemoryStore()
    seen: list[bool] = []

    def create(unit: FakeUnitOfWork) -> str:
        seen.append(unit.optimistic)
        if unit.optimistic:
            unit.record("customer", "created", {"id": "c1", "version": 1}, customer_id="c1")
            raise GuardFailed("the name is taken after all")
        return "answered from fresh reads"

    misses = GUARD_MISSES._value.get()
    assert units(store).run(ALICE, create) == "answered from fresh reads"
    assert seen == [True, False] and GUARD_MISSES._value.get() == misses + 1
    assert store.events == []  # the optimistic attempt's event went with its unit

    def always_stale(unit: FakeUnitOfWork) -> None:
        seen.append(unit.optimistic)
        raise GuardFailed("stale")

    seen.clear()
    with pytest.raises(GuardFailed):  # not optimistic, a failed guard is a defect: no loop
        units(store).run(ALICE, always_stale)
    assert seen == [True, False]


def test_other_errors_are_not_retried_and_retries_end():
    store = MemoryStore()
    calls: list[int] = []

    def unique_violation(unit: FakeUnitOfWork) -> None:
        calls.append(1)
        raise Wrapped("23505")

    with pytest.raises(Wrapped):
        units(store).run(ALICE, unique_violation)
    assert len(calls) == 1

    def always_deadlocked(unit: FakeUnitOfWork) -> None:
        calls.append(1)
        raise Wrapped("40P01")

    calls.clear()
    with pytest.raises(Wrapped):
        units(store).run(ALICE, always_deadlocked)
    assert len(calls) == 5
    assert is_retryable(PgError("40P01")) and not is_retryable(ValueError("x"))


def greet(unit: FakeUnitOfWork, name: Any, punctuation: Any = "!") -> dict[str, Any]:
    """Say hello."""
    return {"by": unit.caller.user_id, "text": f"hello {name}{punctuation}"}


class DemoService:
    name = "demo"
    store = MemoryStore()
    units = units(store)
    greet = rpc(greet)


def test_rpc_entrypoint_has_the_handlers_wire_signature_and_typed_errors():
    signature = inspect.signature(DemoService.greet)
    assert list(signature.parameters) == ["self", "caller", "name", "punctuation"]
    inspect.getcallargs(DemoService.greet, None, caller={}, name="x")  # what nameko checks
    with pytest.raises(TypeError):
        inspect.getcallargs(DemoService.greet, None, caller={}, nom="x")
    [entrypoint] = DemoService.greet.nameko_entrypoints  # type: ignore[attr-defined]
    assert isinstance(entrypoint, Rpc) and entrypoint.expected_exceptions == EXPECTED_ERRORS
    assert DemoService.greet.__doc__ == "Say hello."


def test_rpc_entrypoint_parses_the_caller_and_runs_the_handler_in_a_unit():
    service = DemoService()
    assert service.greet(ALICE.to_payload(), "bob") == {"by": "u-alice", "text": "hello bob!"}
    assert service.greet(SYSTEM.to_payload(), name="eve", punctuation="?")["by"] == "system"
    with pytest.raises(PermissionDenied):
        service.greet({"user_id": "x", "roles": ["wizard"]}, "bob")
    with pytest.raises(PermissionDenied):
        service.greet(None, "bob")
