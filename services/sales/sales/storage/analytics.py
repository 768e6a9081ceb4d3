"""The funnel's aggregates, computed by PostgreSQL (GROUP BY, FILTER): a few small result sets,
whatever the number of opportunities; ``sales.domain.funnel`` turns them into the ``Funnel``.

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
from sqlalchemy import ColumnElement, Date, and_, cast, func, literal_column, select, text
from sqlalchemy.orm import Session

from sales import policy
from sales.contracts.opportunities import OPEN_STAGES
from sales.domain.funnel import ClosedTotal, FunnelQuery, OpenTotal, StageTotal
from sales.storage.funnel_sql import regressive_sql, step_position_sql
from sales.storage.models import (
    DirectoryUserRow,
    LostReasonRow,
    OpportunityRow,
    StageChangeRow,
    StageSettingRow,
)

OPP = OpportunityRow.__table__
MOVE = StageChangeRow.__table__


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


def _stage_totals(session: Session, where: list[ColumnElement[bool]]) -> list[StageTotal]:
    rows = session.execute(
        select(OPP.c.stage, func.count(), func.coalesce(func.sum(OPP.c.amount_minor), 0))
        .where(*where)
        .group_by(OPP.c.stage)
    )
    return [StageTotal(stage, int(count), int(amount)) for stage, count, amount in rows]


def _furthest(session: Session, where: list[ColumnElement[bool]]) -> dict[int, int]:
    """How many opportunities have each step as their furthest stage ever.

    The furthest stage is the current one unless the opportunity once stood further along and
    left it by a regressive move (back, or into lost); then it is that move's ``from_stage``
    (the furthest one's last exit is such a move). So the current stage and the regressive rows
    decide it, and an opportunity that only moved forward costs no history read at all.
    Every opportunity reached qualification, whatever its (possibly missing) history says.
    """
    back: ColumnElement[Any] = func.max(literal_column(step_position_sql(f"{MOVE.name}.from_stage")))
    furthest = func.coalesce(
        func.greatest(literal_column(step_position_sql(f"{OPP.name}.stage")), back), 0
    ).label("furthest")
    regressive = text(regressive_sql(f"{MOVE.name}."))
    per_opportunity = (
        select(furthest)
        .select_from(OPP.outerjoin(MOVE, and_(MOVE.c.opportunity_id == OPP.c.id, regressive)))
        .where(*where)
        .group_by(OPP.c.id, OPP.c.stage)
        .subquery()
    )
    rows = session.execute(
        select(per_opportunity.c.furthest, func.count()).group_by(per_opportunity.c.furthest)
    )
    return {int(position): int(count) for position, count in rows}


def _closed(session: Session, where: list[ColumnElement[bool]]) -> list[ClosedTotal]:
    cycle = func.extract("epoch", OPP.c.closed_at - OPP.c.created_at)
    rows = session.execute(
        select(
            OPP.c.stage,
            OPP.c.lost_reason,
            func.count(),
            func.coalesce(func.sum(OPP.c.amount_minor), 0),
            func.coalesce(func.sum(cycle), 0),
        )
        .where(*where, OPP.c.stage.in_(("won", "lost")), OPP.c.closed_at.is_not(None))
        .group_by(OPP.c.stage, OPP.c.lost_reason)
    )
    return [
        ClosedTotal(stage, reason if stage == "lost" else None, int(count), int(amount), Decimal(seconds))
        for stage, reason, count, amount, seconds in rows
    ]


def _open(session: Session, where: list[ColumnElement[bool]]) -> list[OpenTotal]:
    month = cast(func.date_trunc("month", OPP.c.expected_close_date), Date).label("month")
    rows = session.execute(
        select(month, OPP.c.stage, func.count(), func.coalesce(func.sum(OPP.c.amount_minor), 0))
        .where(*where, OPP.c.stage.in_(OPEN_STAGES))
        .group_by(month, OPP.c.stage)
    )
    return [OpenTotal(m, stage, int(count), int(amount)) for m, stage, count, amount in rows]


def aggregates(session: Session, caller: Caller, query: FunnelQuery) -> FunnelAggregates:
    base = scope(caller, query)
    created = [*base, *_in_days(OPP.c.created_at, query)]
    closed = [*base, *_in_days(OPP.c.closed_at, query)]
    if query.date_from is None and query.date_to is None:
        expected = base  # with no range, the undated open ones are shown too (month null)
    else:
        expected = [*base, OPP.c.expected_close_date.is_not(None), *_in_days_date(query)]
    settings = session.execute(select(StageSettingRow.stage, StageSettingRow.probability_pct))
    labels = session.execute(select(LostReasonRow.code, LostReasonRow.label))
    return FunnelAggregates(
        probabilities={str(stage): int(pct) for stage, pct in settings},
        stage_totals=_stage_totals(session, created),
        furthest=_furthest(session, created),
        closed=_closed(session, closed),
        open_totals=_open(session, expected),
        reason_labels={str(code): str(label) for code, label in labels},
    )


def _in_days_date(query: FunnelQuery) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if query.date_from is not None:
        clauses.append(OPP.c.expected_close_date >= query.date_from)
    if query.date_to is not None:
        clauses.append(OPP.c.expected_close_date <= query.date_to)
    return clauses
