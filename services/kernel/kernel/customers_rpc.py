"""The customers port over nameko RPC: the caller's identity travels on (signed again here), and
the customers service's typed errors come back as the same kernel errors.

nameko turns an error reply into a ``RemoteError`` holding only the message (``exc_args`` are
dropped), unless the error's class is registered as deserializable: then it rebuilds the
exception from ``exc_args``. The kernel errors are registered (``kernel.nameko_ext``), so a Conflict from
``create_customer`` arrives with its field errors (``existing_id``, ``candidates``) — what lead
conversion needs to link the existing customer.
"""

from __future__ import annotations

from typing import Any

from kernel.errors import ERROR_TYPES, PanoramaError
from kernel.identity import Caller
from kernel.nameko_ext import register_typed_errors

register_typed_errors()  # a service process has it from kernel.nameko_ext already; tests may not


class RpcCustomers:
    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy  # nameko ServiceProxy for "customers" (RpcProxy dependency)

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        from nameko.exceptions import RemoteError

        try:
            return getattr(self.proxy, method)(caller=caller.to_payload(), **kwargs)
        except RemoteError as exc:
            raise _typed(exc) from None

    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(caller, "get_customer", customer_id=customer_id)
        return result

    def create_customer(self, caller: Caller, data: dict[str, Any], force: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self.call(caller, "create_customer", data=data, force=force)
        return result


def _typed(exc: Any) -> Exception:
    """A RemoteError carrying one of our error types, as that type (detail and field errors kept)."""
    error_type = ERROR_TYPES.get(getattr(exc, "exc_type", ""))
    if error_type is None:
        return exc  # type: ignore[no-any-return]
    args = exc.value  # nameko's serialized exception: {"exc_type", "exc_args", "value", ...}
    detail = str(args) if args else exc.exc_type
    errors = getattr(exc, "errors", None)
    typed: PanoramaError = error_type(detail, errors if isinstance(errors, list) else None)
    return typed
