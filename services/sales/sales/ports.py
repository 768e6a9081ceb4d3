"""What the use cases need besides their own tables: the customers service, behind a port.

Production talks to it over nameko RPC (``kernel.customers_rpc``); unit tests give a fake.
"""

from __future__ import annotations

from typing import Any, Protocol

from kernel.identity import Caller
from kernel.replicas import CustomersPort as KernelCustomersPort


class CustomersPort(KernelCustomersPort, Protocol):
    def create_customer(self, caller: Caller, data: dict[str, Any], force: bool = False) -> dict[str, Any]:
        """Create it (the customers service's duplicate check applies: Conflict on a likely duplicate)."""
        ...

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        """Any other customers RPC (create_contact, create_follow_up, list_customers, …)."""
        ...
