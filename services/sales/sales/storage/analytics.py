"""The funnel's aggregates, computed by PostgreSQL (GROUP BY, FILTER): one grouped pass over the
opportunities in scope, a few thousand small groups whatever their number, folded here into the
totals ``sales.domain.funnel`` turns into the ``Funnel``.

Every query is limited to what the caller may read (``kernel.access_sql.visible`` of
``policy.OPPORTUNITY``) and to the requested owner, team and currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kernel.access_sql import visible
from kernel.identity import Caller
from sqlalchemy import ColumnElement, Table, and_, func, literal_column, or_, select, text, true
from sqlalchemy.orm import Session

from sales import policy
from sales.contracts.opportunities import CLOSED_STAGES, OPEN_STAGES
from sales.domain.funnel import ClosedTotal, FunnelQuery, OpenTotal, StageTotal, furthest_step
from sales.storage.funnel_sql import regressive_sql, step_position_sql
from sales.storage.models import (
    DirectoryUserRow,
    LostReasonRow,
    OpportunityRow,
    StageChangeRow,
    StageSettingRow,
)

OPP: Table = OpportunityRow.__table__  # type: ignore[assignment]
MOVE: Table = StageChangeRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class FunnelAggregates:
    probabilities: dict[str, int]
    stage_totals: list[StageTotal]
    furthest: dict[int, int]
    closed: list[ClosedTotal]
    open_totals: list[OpenTotal]
    reason_labels: dict[str, str]

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "probabilities": self.probabilities,
            "stage_totals": self.stage_totals,
            "furthest": self.furthest,
            "closed": self.closed,
            "open_totals": self.open_totals,
            "reason_labels": self.reason_labels,
        }


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _in_days(column: Any, query: FunnelQuery) -> list[ColumnElement[bool]]:
    """``column`` within the query's whole UTC days, both ends included."""
    clauses: list[ColumnElement[bool]] = []
    if query.date_from is not None:
        clauses.append(column >= _start(query.date_from))
    if query.date_to is not None:
        clauses.append(column < _start(query.date_to + timedelta(days=1)))
    return clauses


def scope(caller: Caller, query: FunnelQuery) -> list[ColumnElement[bool]]:
    columns: Mapping[str, ColumnElement[Any]] = {
        "owner_id": OPP.c.owner_id,
        "team_id": OPP.c.team_id,
        "customer_owner_id": OPP.c.customer_owner_id,
    }
    clauses = [visible(policy.OPPORTUNITY, caller, columns), OPP.c.currency == query.currency]
    if query.owner_id is not None:
        clauses.append(OPP.c.owner_id == query.owner_id)
    if query.team_id is not None:
        clauses.append(OPP.c.team_id == query.team_id)
    return clauses


def team_of(session: Session, user_id: str) -> str | None:
    return session.scalar(select(DirectoryUserRow.team_id).where(DirectoryUserRow.id == user_id))


def _regressed(everything: bool) -> tuple[Any, ColumnElement[bool]]:
    """Per opportunity, the furthest step a regressive move of it left (NULL: none), and how
    to join it. Both read the partial index alone (index-only). For the whole book it is
    aggregated once and merged in; for a scope (a team, a seller) it is probed
    per opportunity in scope, so a small funnel reads a small history."""
    back: Any = func.max(literal_column(step_position_sql(f"{MOVE.name}.from_stage"))).label("back")
    regressive = text(regressive_sql(f"{MOVE.name}."))
    if everything:
        grouped = select(MOVE.c.opportunity_id, back).where(regressive).group_by(MOVE.c.opportunity_id)
        table = grouped.subquery("regressed")
        return table, table.c.opportunity_id == OPP.c.id
    probe = select(back).where(MOVE.c.opportunity_id == OPP.c.id, regressive).lateral("regressed")
    return probe, true()


def _both(clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(true(), *clauses)


def _cells(
    session: Session,
    everything: bool,
    base: list[ColumnElement[bool]],
    created: list[ColumnElement[bool]],
    closed: list[ColumnElement[bool]],
    expected: list[ColumnElement[bool]],
) -> list[Cell]:
    """The whole funnel in one pass over the opportunities in scope, grouped by raw columns
    (stage, lost reason, expected close day, the regressive moves' furthest step): a few
    thousand small groups whatever the volume, which ``_fold`` turns into the funnel's figures.
    Each figure has its own date rule (created / closed / expected in the range): with a range,
    one FILTERed set of aggregates per rule; without, one set serves all three. Which stages
    count as open or closed is decided per group in ``_fold``, not per row here.

    The furthest step ever is the current one unless the opportunity once stood further along
    and left it by a regressive move (back, or into lost); then it is that move's ``from_stage``
    (the furthest step's last exit is such a move). So the current stage and the regressive rows
    decide it: an opportunity that only moved forward costs no history read at all.
    """
    regressed, joined = _regressed(everything)
    amount = OPP.c.amount_minor
    has_closed = OPP.c.closed_at.is_not(None)
    cycle = OPP.c.closed_at - OPP.c.created_at

    def figures(created_in: Any, closed_in: Any, expected_in: Any) -> list[Any]:
        return [
            func.count().filter(created_in),
            func.sum(amount).filter(created_in),
            func.count(OPP.c.closed_at).filter(closed_in),
            func.sum(amount).filter(and_(has_closed, closed_in)),
            func.extract("epoch", func.sum(cycle).filter(closed_in)),
            func.count().filter(expected_in),
            func.sum(amount).filter(expected_in),
        ]

    ranged = bool(created or closed or expected)
    if ranged:
        in_created, in_closed, in_expected = _both(created), _both(closed), _both(expected)
        columns = figures(in_created, in_closed, in_expected)
    else:
        columns = figures(true(), true(), true())
    keys = (OPP.c.stage, OPP.c.lost_reason, OPP.c.expected_close_date, regressed.c.back)
    query = select(*keys, *columns).select_from(OPP.outerjoin(regressed, joined)).where(*base).group_by(*keys)
    if ranged:  # only the rows one of the three rules keeps
        query = query.where(or_(in_created, in_closed, in_expected))
    return [Cell(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class Cell:
    stage: str
    lost_reason: str | None
    expected_close_date: date | None
    back: int | None
    created: int
    created_amount: int | None
    closed: int
    closed_amount: int | None
    closed_seconds: Decimal | None
    expected: int
    expected_amount: int | None


def _fold(cells: list[Cell]) -> tuple[list[StageTotal], dict[int, int], list[ClosedTotal], list[OpenTotal]]:
    stages: dict[str, list[int]] = {}
    furthest: dict[int, int] = {}
    closed: dict[tuple[str, str | None], list[Any]] = {}
    open_: dict[tuple[date | None, str], list[int]] = {}
    for cell in cells:
        stage = cell.stage
        if cell.created:
            entry = stages.setdefault(stage, [0, 0])
            entry[0] += cell.created
            entry[1] += int(cell.created_amount or 0)
            step = furthest_step(stage, cell.back)
            furthest[step] = furthest.get(step, 0) + cell.created
        if cell.closed and stage in CLOSED_STAGES:
            key = (stage, cell.lost_reason if stage == "lost" else None)
            found = closed.setdefault(key, [0, 0, Decimal(0)])
            found[0] += cell.closed
            found[1] += int(cell.closed_amount or 0)
            found[2] += Decimal(cell.closed_seconds or 0)
        if cell.expected and stage in OPEN_STAGES:
            day = cell.expected_close_date
            slot = open_.setdefault((day.replace(day=1) if day else None, stage), [0, 0])
            slot[0] += cell.expected
            slot[1] += int(cell.expected_amount or 0)
    return (
        [StageTotal(stage, n, amount) for stage, (n, amount) in stages.items()],
        furthest,
        [
            ClosedTotal(stage, reason, n, amount, seconds)
            for (stage, reason), (n, amount, seconds) in closed.items()
        ],
        [OpenTotal(month, stage, n, amount) for (month, stage), (n, amount) in open_.items()],
    )


def aggregates(session: Session, caller: Caller, query: FunnelQuery) -> FunnelAggregates:
    base = scope(caller, query)
    created = _in_days(OPP.c.created_at, query)
    # An admin's whole book (any range): read the regressive history once, whole; a team's or a
    # seller's probes it per opportunity. (On 1M rows a quarter of everything was faster this
    # way than with 170k probes: bench/sales_funnel.py.)
    everything = caller.is_admin and query.owner_id is None and query.team_id is None
    closed = _in_days(OPP.c.closed_at, query)
    # with no range, the undated open ones are shown too (month null)
    expected = [OPP.c.expected_close_date.is_not(None), *_in_days_date(query)] if created else []
    stage_totals, furthest, closed_totals, open_totals = _fold(
        _cells(session, everything, base, created, closed, expected)
    )
    settings = session.execute(select(StageSettingRow.stage, StageSettingRow.probability_pct))
    labels = session.execute(select(LostReasonRow.code, LostReasonRow.label))
    return FunnelAggregates(
        probabilities={str(stage): int(pct) for stage, pct in settings},
        stage_totals=stage_totals,
        furthest=furthest,
        closed=closed_totals,
        open_totals=open_totals,
        reason_labels={str(code): str(label) for code, label in labels},
    )


def _in_days_date(query: FunnelQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.date_from is not None:
        clauses.append(OPP.c.expected_close_date >= query.date_from)
    if query.date_to is not None:
        clauses.append(OPP.c.expected_close_date <= query.date_to)
    return clauses
