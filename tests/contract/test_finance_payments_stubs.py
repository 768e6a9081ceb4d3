"""The gateway's stubs of the finance payments RPC call the service's handlers with the names
they take: nameko refuses a call whose keywords do not bind to the entrypoint."""

from __future__ import annotations

import inspect

import pytest
from finance.entrypoints.payments import PaymentEntrypoints
from gateway.services.finance.client_payments import PaymentsRpc

STUBS = [name for name, fn in vars(PaymentsRpc).items() if inspect.iscoroutinefunction(fn)]


def test_every_stub_has_an_entrypoint():
    assert sorted(STUBS) == sorted(n for n in vars(PaymentEntrypoints) if not n.startswith("_"))


@pytest.mark.parametrize("name", STUBS)
def test_a_stub_binds_to_its_entrypoint(name):
    stub = inspect.signature(getattr(PaymentsRpc, name))
    entrypoint = inspect.signature(getattr(PaymentEntrypoints, name))
    sent = [p for p in stub.parameters if p not in ("self", "caller")]
    entrypoint.bind(None, "caller", **{p: None for p in sent})  # raises TypeError on a mismatch


def test_the_manual_entry_cannot_claim_to_be_a_bank_import():
    assert "source" not in inspect.signature(PaymentEntrypoints.record_payment).parameters
