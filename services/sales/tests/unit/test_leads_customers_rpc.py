"""The customers port over nameko RPC keeps the typed errors' field details (lead conversion
reads ``existing_id`` / ``candidates`` from the customers service's Conflict)."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.customers_rpc import RpcCustomers
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.identity import Caller
from nameko.exceptions import deserialize, serialize

SALES1 = Caller("u-sales1", ("sales",), "team-east")


class WireProxy:
    """Raises what nameko's RPC proxy raises for an error reply: the exception after the
    service's ``serialize`` and the client's ``deserialize``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> Any:
            raise deserialize(serialize(self.error))

        return call


def test_a_conflict_keeps_its_field_errors_across_the_wire():
    errors = [{"field": "tax_id", "message": "already used", "existing_id": "c-1"}]
    port = RpcCustomers(WireProxy(Conflict("tax id taken", errors)))
    with pytest.raises(Conflict) as exc:
        port.create_customer(SALES1, {"name": "A科技有限公司"})
    assert exc.value.detail == "tax id taken"
    assert exc.value.errors == errors


@pytest.mark.parametrize(
    "error", [NotFound("customer c-9 does not exist"), ValidationError.for_field("name", "x")]
)
def test_other_typed_errors_keep_their_type_and_fields(error):
    port = RpcCustomers(WireProxy(error))
    with pytest.raises(type(error)) as exc:
        port.get_customer(SALES1, "c-9")
    assert exc.value.errors == error.errors and exc.value.detail == error.detail
