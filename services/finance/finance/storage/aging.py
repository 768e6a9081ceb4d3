"""The aging report's and the collections forecast's SQL: one grouped pass over the unsettled
instalments the caller may read (``ix_receivables_aging`` answers it from the index alone).

Buckets are due-date ranges relative to ``as_of`` (``domain.ledger.BUCKETS``): an instalment due
on ``as_of`` is current; one due the day before is 1 day past due ("1-30").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from kernel.access_sql import visible
from kernel.identity import Caller
from sqlalchemy import ColumnElement, Row, and_, case, func, literal, select
from sqlalchemy.orm import Session

from finance import policy
from finance.contracts.collections import BUCKET_COLUMNS
from finance.domain import ledger
from finance.storage.models import ReceivableRow, customer_refs, directory_users

R = ReceivableRow
UNSETTLED = ("open", "partially_paid")  # the predicate of ix_receivables_aging
GROUP_COLUMNS = {"owner": R.owner_id, "team": R.team_id, "customer": R.customer_id}


def outstanding() -> ColumnElement[int]:
    return R.amount_minor - R.paid_minor - R.written_off_minor


def scope(
    caller: Caller, owner: str | None, team: str | None, customer_id: str | None = None
) -> list[ColumnElement[bool]]:
    columns = {"owner_id": R.owner_id, "team_id": R.team_id, "customer_owner_id": R.customer_owner_id}
    clauses = [R.status.in_(UNSETTLED), visible(policy.RECEIVABLE, caller, columns)]
    if owner is not None:
        clauses.append(R.owner_id == owner)
    if team is not None:
        clauses.append(R.team_id == team)
    if customer_id is not None:
        clauses.append(R.customer_id == customer_id)
    return clauses


def _in_bucket(first: int, last: int | None, as_of: date) -> ColumnElement[bool]:
    newest = R.due_date <= as_of - timedelta(days=first)
    return newest if last is None else and_(newest, R.due_date >= as_of - timedelta(days=last))


def tune_for_report(session: Session, work_mem: str) -> None:
    """For this transaction only: room to hash tens of thousands of groups in memory (the default
    4 MB spills a by-customer report's sort to disk), and no JIT (compiling costs more than the
    one grouped pass it would speed up)."""
    session.execute(select(func.set_config("work_mem", work_mem, True), func.set_config("jit", "off", True)))


def _names(group_by: str) -> tuple[Any, Any, Any] | None:
    """(table, id column, name expression) to name the groups by, in the same query."""
    if group_by == "customer":
        return customer_refs, customer_refs.c.id, customer_refs.c.name
    if group_by == "owner":
        users = directory_users.c
        return directory_users, users.id, func.coalesce(users.display_name, users.username)
    return None  # teams: the gateway owns their names


def aging_rows(
    session: Session, group_by: str, as_of: date, where: Sequence[ColumnElement[bool]], limit: int
) -> Sequence[Any]:
    """The ``limit`` largest groups (by total): key, name, currency, current, b1_30 … b90_plus,
    total, instalments, and over *all* groups the per-currency sums (``all_<column>``) and the
    number of groups (``groups``), in one statement (the windows run before the LIMIT)."""
    key = GROUP_COLUMNS[group_by].label("key")
    amount = outstanding()
    buckets = [
        func.sum(case((_in_bucket(first, last, as_of), amount), else_=0)).label(BUCKET_COLUMNS[name])
        for first, last, name in ledger.BUCKETS
    ]
    groups = (
        select(
            key,
            R.currency,
            func.sum(case((R.due_date >= as_of, amount), else_=0)).label("current"),
            *buckets,
            func.sum(amount).label("total"),
            func.count().label("instalments"),
        )
        .where(*where)
        .group_by(key, R.currency)
        .subquery("groups")
    )
    g = groups.c
    figures = ("current", *BUCKET_COLUMNS.values(), "total", "instalments")
    per_currency = [func.sum(g[name]).over(partition_by=g.currency).label(f"all_{name}") for name in figures]
    top = (
        select(*g, *per_currency, func.count().over().label("groups"))
        # each currency's largest group first, so every currency's totals ride on some row
        .order_by(
            func.row_number().over(partition_by=g.currency, order_by=g.total.desc()) > 1,
            g.total.desc(),
            g.key,
            g.currency,
        )
        .limit(limit)
        .subquery("top")
    )
    naming = _names(group_by)  # joined to the few rows kept, not to every group
    if naming is None:
        stmt = select(top, literal(None).label("name"))
    else:
        table, id_column, label = naming
        stmt = select(top, label.label("name")).select_from(top.outerjoin(table, id_column == top.c.key))
    return session.execute(stmt).all()


def forecast_rows(
    session: Session, as_of: date, end: date, where: Sequence[ColumnElement[bool]]
) -> Sequence[Row[Any]]:
    """(currency, period, amount): period "overdue" (due before ``as_of``), "later" (due on or
    after ``end``), else the due month "YYYY-MM"."""
    period = case(
        (R.due_date < as_of, literal("overdue")),
        (R.due_date >= end, literal("later")),
        else_=func.to_char(R.due_date, "YYYY-MM"),
    ).label("period")
    stmt = (
        select(R.currency, period, func.sum(outstanding()).label("amount"))
        .where(*where)
        .group_by(R.currency, period)
    )
    return session.execute(stmt).all()
