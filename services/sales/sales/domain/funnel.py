"""Funnel arithmetic: from the aggregates the database returns to the published ``Funnel``.

Pure: integers and ``Decimal`` only (money never becomes a float), no I/O. The definitions are
documented once, in ``sales.contracts.analytics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kernel.errors import FieldErrors, PermissionDenied
from kernel.identity import Caller

from sales.contracts.analytics import (
    DAYS_PLACES,
    FUNNEL_STEPS,
    RATE_PLACES,
    Conversion,
    CycleTime,
    ForecastMonth,
    ForecastTotal,
    Funnel,
    LostReasonFigures,
    StageFigures,
)
from sales.contracts.common import DEFAULT_CURRENCY
from sales.contracts.opportunities import OPEN_STAGES, STAGE_LABELS, STAGES
from sales.policy import is_team_manager

SECONDS_PER_DAY = 86_400
ID_MAX = 64
NO_REASON_LABEL = "未填写 Not recorded"
NO_DATE_LABEL = None


# -- the question ------------------------------------------------------------------------------
@dataclass(frozen=True)
class FunnelQuery:
    owner_id: str | None = None
    team_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    currency: str = DEFAULT_CURRENCY


def _day(value: Any, field: str, errors: FieldErrors) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(field, "must be a date, YYYY-MM-DD")
    return None


def _ident(value: Any, field: str, errors: FieldErrors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > ID_MAX:
        errors.add(field, f"must be an id of 1 to {ID_MAX} characters")
        return None
    return value.strip()


def clean_query(
    owner_id: Any = None,
    team_id: Any = None,
    date_from: Any = None,
    date_to: Any = None,
    currency: Any = DEFAULT_CURRENCY,
) -> FunnelQuery:
    """The RPC's arguments checked, every bad field named at once (ValidationError)."""
    errors = FieldErrors()
    owner = _ident(owner_id, "owner_id", errors)
    team = _ident(team_id, "team_id", errors)
    start = _day(date_from, "date_from", errors)
    end = _day(date_to, "date_to", errors)
    if start is not None and end is not None and start > end:
        errors.add("date_from", "must not be after date_to")
    code = currency if currency is not None else DEFAULT_CURRENCY
    if (
        not (isinstance(code, str) and len(code) == 3 and code.isascii() and code.isalpha())
        or not code.isupper()
    ):
        errors.add("currency", "must be an ISO 4217 code such as CNY")
        code = DEFAULT_CURRENCY
    errors.raise_if_any()
    return FunnelQuery(owner, team, start, end, code)


def require_scope(caller: Caller, query: FunnelQuery, owner_team_id: str | None) -> None:
    """Refuse numbers the caller may not see, rather than answer with an empty funnel that looks
    real. ``owner_team_id``: the team of ``query.owner_id`` (directory replica), if any."""
    if caller.is_admin:
        return
    if query.team_id is not None and not is_team_manager(caller, query.team_id):
        raise PermissionDenied(
            "you may see the funnel of your own team only",
            [{"field": "team_id", "message": "not your team"}],
        )
    mine = query.owner_id is None or query.owner_id == caller.user_id
    if not mine and not is_team_manager(caller, owner_team_id):
        raise PermissionDenied(
            "you may see your own funnel, or a member's of the team you manage",
            [{"field": "owner_id", "message": "not you or a member of your team"}],
        )


# -- arithmetic --------------------------------------------------------------------------------
def weighted(amount_minor: int, probability_pct: int) -> int:
    """``amount × pct / 100`` in integer minor units, half up (amounts are never negative)."""
    return (amount_minor * probability_pct + 50) // 100


def ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def average_days(total_seconds: Decimal | int | float, count: int) -> Decimal | None:
    if count == 0:
        return None
    days = Decimal(str(total_seconds)) / Decimal(count) / Decimal(SECONDS_PER_DAY)
    return days.quantize(DAYS_PLACES, rounding=ROUND_HALF_UP)


def furthest_step(stage: str, back: int | None) -> int:
    """An opportunity's furthest position in FUNNEL_STEPS: its current stage's, or further if it
    left a later step by a regressive move (``back``: the furthest step such a move left). Lost
    is no step; every opportunity reached qualification (0)."""
    now = FUNNEL_STEPS.index(stage) if stage in FUNNEL_STEPS else 0
    return max(now, back if back is not None else 0)


def reached_counts(furthest: Mapping[int, int]) -> list[int]:
    """``furthest``: position in FUNNEL_STEPS of each opportunity's furthest stage → how many.
    Returns, per step, how many reached it or beyond (a skip passes the skipped steps)."""
    reached = []
    running = 0
    for position in range(len(FUNNEL_STEPS) - 1, -1, -1):
        running += furthest.get(position, 0)
        reached.append(running)
    return reached[::-1]


def conversions(reached: list[int]) -> list[Conversion]:
    return [
        Conversion(
            from_stage=FUNNEL_STEPS[k],
            to_stage=FUNNEL_STEPS[k + 1],
            reached_from=reached[k],
            reached_to=reached[k + 1],
            rate=ratio(reached[k + 1], reached[k]),
        )
        for k in range(len(FUNNEL_STEPS) - 1)
    ]


# -- aggregates in, funnel out -----------------------------------------------------------------
@dataclass(frozen=True)
class StageTotal:
    stage: str
    count: int
    amount_minor: int


@dataclass(frozen=True)
class ClosedTotal:
    """Deals closed in the range, by outcome (won / lost) and lost reason."""

    stage: str
    lost_reason: str | None
    count: int
    amount_minor: int
    cycle_seconds: Decimal


@dataclass(frozen=True)
class OpenTotal:
    """Open opportunities by month of expected close (first day of the month, or None) and stage."""

    month: date | None
    stage: str
    count: int
    amount_minor: int


def _stages(
    totals: Iterable[StageTotal], probabilities: Mapping[str, int], reached: list[int]
) -> list[StageFigures]:
    by_stage = {t.stage: t for t in totals}
    figures = []
    for stage in STAGES:
        total = by_stage.get(stage, StageTotal(stage, 0, 0))
        pct = probabilities.get(stage, 0)
        figures.append(
            StageFigures(
                stage=stage,
                label=STAGE_LABELS[stage],
                probability_pct=pct,
                count=total.count,
                amount_minor=total.amount_minor,
                weighted_amount_minor=weighted(total.amount_minor, pct),
                reached=reached[FUNNEL_STEPS.index(stage)] if stage in FUNNEL_STEPS else None,
            )
        )
    return figures


def _lost_reasons(closed: list[ClosedTotal], labels: Mapping[str, str]) -> list[LostReasonFigures]:
    counts: dict[str | None, list[int]] = {}
    for row in closed:
        if row.stage == "lost":
            entry = counts.setdefault(row.lost_reason, [0, 0])
            entry[0] += row.count
            entry[1] += row.amount_minor
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], -item[1][1], item[0] or "~"))
    return [
        LostReasonFigures(
            reason=reason,
            label=labels.get(reason, reason) if reason else NO_REASON_LABEL,
            count=count,
            amount_minor=amount,
        )
        for reason, (count, amount) in ordered
    ]


def _forecast(rows: Iterable[OpenTotal], probabilities: Mapping[str, int]) -> list[ForecastMonth]:
    # Weight each stage's sum, add the exact products, round once per month: no drift from
    # rounding every deal.
    months: dict[date | None, list[int]] = {}
    for row in rows:
        if row.stage not in OPEN_STAGES:
            continue
        entry = months.setdefault(row.month, [0, 0, 0])
        entry[0] += row.count
        entry[1] += row.amount_minor
        entry[2] += row.amount_minor * probabilities.get(row.stage, 0)
    ordered = sorted(months.items(), key=lambda item: (item[0] is None, item[0] or date.min))
    return [
        ForecastMonth(
            month=month.strftime("%Y-%m") if month else NO_DATE_LABEL,
            count=count,
            amount_minor=amount,
            weighted_amount_minor=(products + 50) // 100,
        )
        for month, (count, amount, products) in ordered
    ]


def build_funnel(
    query: FunnelQuery,
    *,
    probabilities: Mapping[str, int],
    stage_totals: Iterable[StageTotal],
    furthest: Mapping[int, int],
    closed: Iterable[ClosedTotal],
    open_totals: Iterable[OpenTotal],
    reason_labels: Mapping[str, str],
) -> Funnel:
    reached = reached_counts(furthest)
    closed_rows = list(closed)
    won = [r for r in closed_rows if r.stage == "won"]
    lost = [r for r in closed_rows if r.stage == "lost"]
    won_count = sum(r.count for r in won)
    lost_count = sum(r.count for r in lost)
    won_seconds = sum((r.cycle_seconds for r in won), Decimal(0))
    lost_seconds = sum((r.cycle_seconds for r in lost), Decimal(0))
    forecast = _forecast(open_totals, probabilities)
    return Funnel(
        currency=query.currency,
        owner_id=query.owner_id,
        team_id=query.team_id,
        date_from=query.date_from,
        date_to=query.date_to,
        stages=_stages(stage_totals, probabilities, reached),
        conversion=conversions(reached),
        won=won_count,
        lost=lost_count,
        win_rate=ratio(won_count, won_count + lost_count),
        cycle=CycleTime(
            won_days=average_days(won_seconds, won_count),
            lost_days=average_days(lost_seconds, lost_count),
            overall_days=average_days(won_seconds + lost_seconds, won_count + lost_count),
        ),
        lost_reasons=_lost_reasons(closed_rows, reason_labels),
        forecast=forecast,
        forecast_total=ForecastTotal(
            count=sum(m.count for m in forecast),
            amount_minor=sum(m.amount_minor for m in forecast),
            weighted_amount_minor=sum(m.weighted_amount_minor for m in forecast),
        ),
    )
