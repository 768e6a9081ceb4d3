"""Generic SQLAlchemy repository: rows of one mapped class with an ``id`` primary key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.orm import Session

from kernel.errors import Conflict, ValidationError

R = TypeVar("R")


InsertLater = Callable[[Table, dict[str, Any]], None]


def column_values(row: Any) -> dict[str, Any]:
    """The columns ``row`` has values for, and the Python-side defaults of those it has none for
    (applied here, as the ORM's INSERT would: ``write_combined`` sends SQL of its own). A column
    with neither is left to its server default."""
    state = inspect(row)
    values: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        if prop.key in state.dict:
            values[column.key] = state.dict[prop.key]
        elif (default := column.default) is not None and (default.is_scalar or default.is_callable):
            values[column.key] = default.arg(None) if default.is_callable else default.arg
    return values


class SqlRepository(Generic[R]):
    model: type[R]

    def __init__(self, session: Session, insert_later: InsertLater | None = None) -> None:
        self.session = session
        self._insert_later = insert_later

    def insert(self, row: R) -> None:
        """A new row this unit of work will neither read back nor change: written with the unit's
        events in one statement (``SqlUnitOfWork.insert_new``), not through the session."""
        if self._insert_later is None:
            self.session.add(row)
            return
        table: Any = self.model.__table__  # type: ignore[attr-defined]
        self._insert_later(table, column_values(row))

    def get(self, entity_id: str, *, lock: bool = False) -> R | None:
        """``lock``: SELECT ... FOR UPDATE, re-reading the row even if this session holds it already
        (what was read before the lock may have changed since)."""
        model: Any = self.model
        stmt = select(model).where(model.id == entity_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).one_or_none()  # type: ignore[no-any-return]

    def get_for_upsert(self, entity_id: str) -> R | None:
        """``get(lock=True)`` that also holds the id when no row has it yet: FOR UPDATE locks only
        rows that exist, so two units creating the same id (an RPC push racing the event of the same
        state) would both see nothing and the second INSERT would fail. A transaction-scoped
        advisory lock on (table, id) makes the second wait, then read the first one's row."""
        key = f"{self.model.__tablename__}:{entity_id}"  # type: ignore[attr-defined]
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
        return self.get(entity_id, lock=True)

    def add(self, row: R) -> None:
        self.session.add(row)

    def delete(self, row: R) -> None:
        self.session.delete(row)


def check_version(row: Any, expected_version: Any, *, noun: str = "record") -> None:
    """Optimistic concurrency (If-Match): ``expected_version`` None means "any"; a mismatch is a
    Conflict naming the current version, so the client can reload and retry."""
    if expected_version is None:
        return
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise ValidationError.for_field("expected_version", "must be an integer")
    if row.version != expected_version:
        raise Conflict(
            f"version mismatch: you have {expected_version}, the {noun} is at {row.version}",
            [{"field": "version", "message": f"current version is {row.version}"}],
        )
