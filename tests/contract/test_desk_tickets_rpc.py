"""The gateway's stubs of the service desk's tickets RPC call the service's handlers with the
names they take (nameko refuses a call whose keywords do not bind to the entrypoint), and no
entrypoint lets a caller set the use cases' clock (``now``)."""

from __future__ import annotations

import inspect

import pytest
from gateway.services.service_desk.client_tickets import TicketsRpc
from service_desk.entrypoints.tickets import TicketEntrypoints

STUBS = [name for name, fn in vars(TicketsRpc).items() if inspect.iscoroutinefunction(fn)]
TIMERS = {"close_resolved_tickets"}


def test_every_stub_has_an_entrypoint():
    entrypoints = {n for n in vars(TicketEntrypoints) if not n.startswith("_") and n != "units"}
    assert sorted(STUBS) == sorted(entrypoints - TIMERS)


@pytest.mark.parametrize("name", STUBS)
def test_a_stub_binds_to_its_entrypoint(name):
    stub = inspect.signature(getattr(TicketsRpc, name))
    entrypoint = inspect.signature(getattr(TicketEntrypoints, name))
    sent = [p for p in stub.parameters if p not in ("self", "caller")]
    entrypoint.bind(None, "caller", **{p: None for p in sent})  # raises TypeError on a mismatch
    assert "now" not in entrypoint.parameters
