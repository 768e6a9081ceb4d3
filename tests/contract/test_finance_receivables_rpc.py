"""The gateway's stubs of the finance receivables RPC call the service's handlers with the names
they take (nameko refuses a call whose keywords do not bind to the entrypoint), and finance reads
sales' order events with sales' own published model."""

from __future__ import annotations

import inspect

import pytest
from finance.entrypoints.receivables import ReceivableEntrypoints
from gateway.services.finance.client_receivables import ReceivablesRpc
from kernel.event_handlers import IdempotentEventHandler
from sales.contracts import deals

STUBS = [name for name, fn in vars(ReceivablesRpc).items() if inspect.iscoroutinefunction(fn)]


def test_every_stub_has_an_entrypoint() -> None:
    handlers = {
        name
        for name, member in vars(ReceivableEntrypoints).items()
        if any(isinstance(e, IdempotentEventHandler) for e in getattr(member, "nameko_entrypoints", ()))
    }
    rpcs = {n for n in vars(ReceivableEntrypoints) if not n.startswith("_")} - handlers
    assert sorted(STUBS) == sorted(rpcs)


@pytest.mark.parametrize("name", STUBS)
def test_a_stub_binds_to_its_entrypoint(name: str) -> None:
    stub = inspect.signature(getattr(ReceivablesRpc, name))
    entrypoint = inspect.signature(getattr(ReceivableEntrypoints, name))
    sent = [p for p in stub.parameters if p not in ("self", "caller")]
    entrypoint.bind(None, "caller", **{p: None for p in sent})  # raises TypeError on a mismatch


def test_finance_consumes_every_order_event_sales_publishes() -> None:
    consumed = {
        entrypoint.event_type
        for member in vars(ReceivableEntrypoints).values()
        for entrypoint in getattr(member, "nameko_entrypoints", ())
        if isinstance(entrypoint, IdempotentEventHandler) and entrypoint.source_service == "sales"
    }
    published = {t for t in deals.EVENT_SCHEMAS if t.startswith("order.")}
    assert consumed == published == {deals.ORDER_PLACED, deals.ORDER_UPDATED, deals.ORDER_CANCELLED}
