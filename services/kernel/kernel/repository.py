"""Generic SQLAlchemy repository: rows of one mapped class with an ``id`` primary key."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.errors import Conflict, ValidationError

R = TypeVar("R")


class SqlRepository(Generic[R]):
    model: type[R]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, entity_id: str, *, lock: bool = False) -> R | None:
        """``lock``: SELECT ... FOR UPDATE, re-reading the row even if this session holds it already
        (what was read before the lock may have changed since)."""
        model: Any = self.model
        stmt = select(model).where(model.id == entity_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).one_or_none()  # type: ignore[no-any-return]

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
