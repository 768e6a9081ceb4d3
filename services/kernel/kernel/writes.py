"""Use cases that write once: what they change is one statement, written when the unit commits.

Such a use case (``@writes_once``) only reads before that statement, with plain SELECTs (no
``FOR UPDATE``), and writes nothing through the session: a create that checks the directory and
the duplicates, then inserts its row with its event and audit line. Its unit of work may then run
without a transaction block (``UnitOfWork.expect_one_write``): under READ COMMITTED every
statement sees a fresh snapshot anyway, so the reads see what they would inside a transaction,
and the one statement is atomic on its own. That spares PostgreSQL's BEGIN and COMMIT round
trips (half of a create's). Framework-free: the handlers import it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__panorama_writes_once__"


def writes_once(handler: F) -> F:
    """Mark ``handler`` as a use case whose only write is the unit's statement at commit."""
    setattr(handler, _MARK, True)
    return handler


def is_write_once(handler: Callable[..., Any]) -> bool:
    return getattr(handler, _MARK, False) is True
