"""nameko RPC entrypoints that run a use case in the service's unit of work.

    class CustomersService:
        name = "customers"
        db = Database()

        @property
        def units(self) -> Units[...]:      # how this service opens a unit of work
            ...

        create_customer = rpc(customers.create_customer)

``rpc(handler)`` builds the method nameko calls: its wire signature is the handler's, with
``caller`` (the identity payload, checked by ``Caller.from_payload``) in place of the handler's
unit of work; the handler then runs through ``self.units.run`` (transaction, retry on deadlock),
and the typed errors (ValidationError, NotFound, PermissionDenied, Conflict) are expected
exceptions, so they reach the caller as such and are not logged as failures. The reply goes out
through ``kernel.nameko_ext.ReplyingRpc`` (no publisher confirm, one serialisation).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kernel.errors import ERROR_TYPES
from kernel.identity import Caller
from kernel.nameko_ext import ReplyingRpc

EXPECTED_ERRORS: tuple[type[Exception], ...] = tuple(ERROR_TYPES.values())

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD


def rpc(handler: Callable[..., Any]) -> Callable[..., Any]:
    """An RPC entrypoint running ``handler(unit, *args, **kwargs)`` for the calling identity."""

    def entrypoint(self: Any, caller: Any, *args: Any, **kwargs: Any) -> Any:
        return self.units.run(Caller.from_payload(caller), handler, *args, **kwargs)

    params = list(inspect.signature(handler).parameters.values())[1:]  # without the unit
    # nameko checks a call's arguments against this signature before running it (a wrong
    # argument is IncorrectSignature, not a TypeError deep inside the handler).
    entrypoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", _POSITIONAL), inspect.Parameter("caller", _POSITIONAL), *params]
    )
    entrypoint.__name__ = handler.__name__
    entrypoint.__qualname__ = handler.__qualname__
    entrypoint.__doc__ = handler.__doc__
    entrypoint.__module__ = handler.__module__
    return ReplyingRpc.decorator(expected_exceptions=EXPECTED_ERRORS)(entrypoint)  # type: ignore[no-any-return]
