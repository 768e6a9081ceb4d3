"""The gateway's stubs of the sales deals RPC (contracts, orders) call the service's handlers with
the names they take: nameko refuses a call whose keywords do not bind to the entrypoint."""

from __future__ import annotations

import inspect

import pytest
from gateway.services.sales.client_deals import DealsRpc
from sales.entrypoints.deals import DealEntrypoints

STUBS = [name for name, fn in vars(DealsRpc).items() if inspect.iscoroutinefunction(fn)]


def test_every_stub_has_an_entrypoint():
    assert sorted(STUBS) == sorted(n for n in vars(DealEntrypoints) if not n.startswith("_"))


@pytest.mark.parametrize("name", STUBS)
def test_a_stub_binds_to_its_entrypoint(name):
    stub = inspect.signature(getattr(DealsRpc, name))
    entrypoint = inspect.signature(getattr(DealEntrypoints, name))
    sent = [p for p in stub.parameters if p not in ("self", "caller")]
    entrypoint.bind(None, "caller", **{p: None for p in sent})  # raises TypeError on a mismatch
