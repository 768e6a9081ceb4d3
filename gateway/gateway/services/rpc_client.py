"""A service's RPC client is a class of typed method stubs; this base turns each into the call.

    class CustomersClient(ServiceClient):
        service_name = "customers"

        @rpc_method
        async def get_customer(self, caller: Caller, customer_id: str) -> Record: ...

The stub's signature is the contract (mypy checks every caller against it); the decorator binds the
arguments by name, signs ``caller`` and sends ``{"caller": ..., **kwargs}`` to ``<service>.<name>``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar, overload

from fastapi import Depends
from kernel.identity import Caller

from gateway.api.deps import get_rpc, get_settings
from gateway.rpc import RpcClient
from gateway.settings import GatewaySettings

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound="ServiceClient")

Record = dict[str, Any]
PageDict = dict[str, Any]  # {"items": [...], "next_cursor": str | None}


class ServiceClient:
    """Binds one nameko service name to the process's RPC client."""

    service_name: ClassVar[str]

    def __init__(self, rpc: RpcClient, service: str | None = None) -> None:
        self.rpc = rpc
        # Tests run an isolated copy of a service under another name (settings.<svc>_service).
        self.service = service or self.service_name

    async def call(self, method: str, caller: Caller | None, **kwargs: Any) -> Any:
        payload = kwargs if caller is None else {"caller": caller.to_payload(), **kwargs}
        return await self.rpc.call(self.service, method, payload)

    @classmethod
    def dependency(cls: type[C]) -> Callable[..., Awaitable[C]]:
        """FastAPI dependency: this client on the app's RPC client, under the service name the
        settings give it (``<service>_service``, when the settings have one)."""

        async def provide(
            rpc: RpcClient = Depends(get_rpc), settings: GatewaySettings = Depends(get_settings)
        ) -> C:
            return cls(rpc, getattr(settings, f"{cls.service_name}_service", None))

        provide.__name__ = f"get_{cls.service_name}"
        return provide


Stub = Callable[Concatenate[C, P], Coroutine[Any, Any, R]]


@overload
def rpc_method(stub: Stub[C, P, R], *, omit_none: bool = False) -> Stub[C, P, R]: ...


@overload
def rpc_method(stub: None = None, *, omit_none: bool = False) -> Callable[[Stub[C, P, R]], Stub[C, P, R]]: ...


def rpc_method(stub: Stub[C, P, R] | None = None, *, omit_none: bool = False) -> Any:
    """Make a typed stub call ``<service>.<stub name>`` with its arguments as keyword arguments.

    ``omit_none`` leaves unset optional arguments out of the call, so the service's own defaults
    apply (the gateway keeps no copy of them).
    """

    def wrap(fn: Stub[C, P, R]) -> Stub[C, P, R]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def call(self: C, *args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            arguments.pop("self")
            caller = arguments.pop("caller", None)
            if omit_none:
                arguments = {k: v for k, v in arguments.items() if v is not None}
            result: R = await self.call(fn.__name__, caller, **arguments)
            return result

        return call

    return wrap if stub is None else wrap(stub)
