"""The use cases in process, without nameko (bench, contract tests): ``hub.create_customer(caller, ...)``
runs ``handlers.customers.create_customer`` in a unit of work, exactly as the RPC entrypoint does."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from kernel.identity import SYSTEM, Caller
from sqlalchemy.orm import Session, sessionmaker

from customers.handlers import contacts, customers, directory, follow_ups, records, tasks, transfer
from customers.storage.repositories import sql_units

USE_CASES = (customers, contacts, follow_ups, tasks, transfer, records, directory)


class CustomerHub:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.units = sql_units(sessions)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        for module in USE_CASES:
            handler = getattr(module, name, None)
            if inspect.isfunction(handler) and handler.__module__ == module.__name__ and name[0] != "_":
                return lambda caller, *args, **kwargs: self.units.run(caller, handler, *args, **kwargs)
        raise AttributeError(name)

    def run(self, caller: Caller, handler: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.units.run(caller, handler, *args, **kwargs)

    def flag_overdue_tasks(self, batch: int = tasks.OVERDUE_BATCH) -> int:
        return self.units.run(SYSTEM, tasks.flag_overdue_tasks, batch)
