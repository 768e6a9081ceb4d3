"""The opportunity funnel's rules: which moves are allowed and what a move requires.

需求确认 → 产品演示 → 方案报价 → 客户测试 → 商务谈判 → 赢单 / 输单. An open opportunity may move to
any open stage (deals go back as well as forward) or close; moving forward or winning needs the
expected close date and a positive amount (they feed the forecast); losing needs a reason from the
managed list. A closed opportunity stays closed unless a manager reopens it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from kernel.errors import Conflict, FieldErrors, ValidationError

from sales.contracts.opportunities import CLOSED_STAGES, OPEN_STAGES, STAGE_BY_LABEL, STAGES

LOST_NOTE_MAX = 2000


def parse_stage(value: Any, field: str = "stage") -> str:
    """A stage code, or its Chinese label (赢单 → won)."""
    if isinstance(value, str):
        code = STAGE_BY_LABEL.get(value.strip(), value.strip())
        if code in STAGES:
            return code
    raise ValidationError.for_field(field, f"must be one of {', '.join(STAGES)}")


def rank(stage: str) -> int:
    return STAGES.index(stage) if stage in OPEN_STAGES else len(OPEN_STAGES)


@dataclass(frozen=True)
class Move:
    current: str
    target: str
    amount_minor: int
    expected_close_date: date | None
    lost_reason: str | None = None
    lost_note: str | None = None
    may_reopen: bool = False
    by_order: bool = False  # an order was placed: the deal is won whatever the forecast fields say


def check_move(move: Move, known_reasons: Collection[str]) -> None:
    """Raise the error that names what is missing or wrong; return when the move is allowed."""
    if move.target == move.current:
        raise Conflict(
            f"the opportunity is already at {move.target}", [{"field": "stage", "message": "unchanged"}]
        )
    if move.current in CLOSED_STAGES and not (move.may_reopen or move.by_order):
        raise Conflict(
            f"the opportunity is closed ({move.current}); only a manager may reopen it",
            [{"field": "stage", "message": "closed"}],
        )
    errors = FieldErrors()
    forward = move.target in OPEN_STAGES and rank(move.target) > rank(move.current)
    if (move.target == "won" or forward) and not move.by_order:
        if move.expected_close_date is None:
            errors.add("expected_close_date", "is required to advance the opportunity")
        if move.amount_minor <= 0:
            errors.add("amount_minor", "must be positive to advance the opportunity")
    if move.target == "lost":
        if not move.lost_reason:
            errors.add("lost_reason", "is required to close an opportunity as lost")
        elif move.lost_reason not in known_reasons:
            errors.add("lost_reason", f"must be one of {', '.join(sorted(known_reasons))}")
        if move.lost_note is not None and len(move.lost_note) > LOST_NOTE_MAX:
            errors.add("lost_note", f"must be at most {LOST_NOTE_MAX} characters")
    elif move.lost_reason:
        errors.add("lost_reason", "is only given when the stage is lost")
    errors.raise_if_any()
