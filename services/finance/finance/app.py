"""The use cases in process, without nameko (tests, bench): ``app.run(caller, handler, *args)``
runs a handler in a unit of work exactly as the RPC entrypoint does, with the customers service
behind whatever port it is given (over RPC in production; in process in tests and the bench)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.identity import Caller
from kernel.replicas import CustomersPort
from sqlalchemy.orm import Session, sessionmaker

from finance.handlers import receivables  # noqa: F401  (registers its customer republisher)
from finance.storage.unit import sql_units


class FinanceApp:
    def __init__(self, sessions: sessionmaker[Session], customers: CustomersPort) -> None:
        self.units = sql_units(sessions, customers)

    def run(self, caller: Caller, handler: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.units.run(caller, handler, *args, **kwargs)
