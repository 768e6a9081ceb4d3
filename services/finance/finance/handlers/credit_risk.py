"""A customer's credit-risk level (thresholds: ``contracts.collections``), kept in
``customer_risk`` and published as ``customer.credit_risk_changed`` when the level changes.

``refresh_customer_risk(unit, customer_id)`` is what the other areas call after they changed what
a customer owes (the payments core after allocating; write-offs; the overdue timer after moving a
bucket). The customer's risk row is locked first, so two transactions re-assessing one customer
take turns, and the second one sees the first one's receivables (READ COMMITTED reads per
statement).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kernel.access_sql import visible
from kernel.clock import isoformat, utcnow
from kernel.errors import NotFound
from kernel.money import format_money
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from finance import policy
from finance.contracts.collections import CUSTOMER_CREDIT_RISK_CHANGED, RISK_NOTIFICATION
from finance.domain import collections as rules
from finance.handlers.notifications import notify
from finance.handlers.receivable_state import business_today
from finance.handlers.replicas import CUSTOMERS
from finance.settings import finance_settings
from finance.storage.models import CustomerRiskRow, ReceivableRow, directory_users
from finance.storage.unit import FinanceUnit

UNSETTLED = ("open", "partially_paid")


def thresholds() -> rules.RiskThresholds:
    s = finance_settings()
    return rules.RiskThresholds(
        medium_bucket=s.risk_medium_bucket,
        high_bucket=s.risk_high_bucket,
        medium_overdue_minor=s.risk_medium_overdue_minor,
        high_overdue_minor=s.risk_high_overdue_minor,
    )


def exposure(unit: FinanceUnit, customer_id: str, today: date) -> rules.Exposure:
    """What the customer has past due on ``today``, per currency, and the oldest age (one query)."""
    outstanding = ReceivableRow.amount_minor - ReceivableRow.paid_minor - ReceivableRow.written_off_minor
    rows = unit.session.execute(
        select(ReceivableRow.currency, func.sum(outstanding), func.min(ReceivableRow.due_date))
        .where(
            ReceivableRow.customer_id == customer_id,
            ReceivableRow.status.in_(UNSETTLED),
            ReceivableRow.due_date < today,
        )
        .group_by(ReceivableRow.currency)
    ).all()
    amounts = {currency: int(total) for currency, total, _ in rows if total}
    oldest = min((due for _, total, due in rows if total), default=None)
    return rules.Exposure(amounts, (today - oldest).days if oldest else 0)


def _locked_row(unit: FinanceUnit, customer_id: str, now: datetime) -> CustomerRiskRow:
    unit.session.execute(
        insert(CustomerRiskRow)
        .values(
            customer_id=customer_id,
            level="none",
            overdue_minor=0,
            currency=None,
            max_overdue_days=0,
            version=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    return unit.session.scalars(
        select(CustomerRiskRow)
        .where(CustomerRiskRow.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def risk_state(unit: FinanceUnit, row: CustomerRiskRow, previous: str | None = None) -> dict[str, Any]:
    ref = CUSTOMERS.held(unit.session, row.customer_id)
    return {
        "id": row.customer_id,
        "customer_id": row.customer_id,
        "customer_name": ref.name if ref else None,
        "level": row.level,
        "previous_level": previous,
        "overdue_minor": row.overdue_minor,
        "currency": row.currency,
        "max_overdue_days": row.max_overdue_days,
        "as_of": business_today(row.updated_at).isoformat(),
        "version": row.version,
        "updated_at": isoformat(row.updated_at),
    }


def refresh_customer_risk(
    unit: FinanceUnit, customer_id: str, today: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Re-assess ``customer_id``; publish (and tell finance, when it turns high) if the level moved."""
    now = now or utcnow()
    today = today or business_today(now)
    row = _locked_row(unit, customer_id, now)
    seen = exposure(unit, customer_id, today)
    level = rules.risk_level(seen, thresholds())
    currency, amount = seen.largest
    before = row.level
    row.overdue_minor, row.currency, row.max_overdue_days = amount, currency, seen.max_overdue_days
    row.updated_at = now
    if level == before:
        unit.session.flush()
        return risk_state(unit, row)
    row.level = level
    row.version += 1
    unit.session.flush()
    state = risk_state(unit, row, previous=before)
    unit.record(
        "customer_risk",
        "changed",
        state,
        customer_id=customer_id,
        changes={"level": [before, level]},
        event_type=CUSTOMER_CREDIT_RISK_CHANGED,
    )
    if level == "high" and rules.worsened(before, level):
        _tell_finance(unit, state, now)
    return state


def _tell_finance(unit: FinanceUnit, state: dict[str, Any], now: datetime) -> None:
    finance_users = unit.session.scalars(
        select(directory_users.c.id).where(directory_users.c.active, directory_users.c.roles.any("finance"))
    )
    name = state["customer_name"] or state["customer_id"]
    amount = format_money(state["overdue_minor"], state["currency"] or "CNY")
    notify(
        unit,
        finance_users,
        kind=RISK_NOTIFICATION,
        subject_id=state["customer_id"],
        customer_id=state["customer_id"],
        message=(
            f"客户 {name} 信用风险升为高：逾期 {amount}，最长 {state['max_overdue_days']} 天。"
            f" Customer {name} is now high credit risk."
        ),
        data={
            "level": state["level"],
            "overdue_minor": state["overdue_minor"],
            "currency": state["currency"],
        },
        now=now,
    )


def get_customer_risk(unit: FinanceUnit, customer_id: Any) -> dict[str, Any]:
    """The customer's risk as last assessed ("none", version 0, if never): to whoever may read
    the customer's receivables (finance, its owner, the sellers of its orders, their managers)."""
    ref = CUSTOMERS.ref(unit, customer_id)
    if not _may_read(unit, ref.id, ref.owner_id, ref.team_id):
        raise NotFound(f"customer {customer_id} has no credit risk you may read")
    row = unit.session.get(CustomerRiskRow, ref.id)
    if row is None:
        today = business_today()
        return {
            "id": ref.id,
            "customer_id": ref.id,
            "customer_name": ref.name,
            "level": "none",
            "previous_level": None,
            "overdue_minor": 0,
            "currency": None,
            "max_overdue_days": 0,
            "as_of": today.isoformat(),
            "version": 0,
            "updated_at": None,
        }
    return risk_state(unit, row)


def _may_read(unit: FinanceUnit, customer_id: str, owner_id: str, team_id: str | None) -> bool:
    """The receivable policy, asked of the customer as a whole: finance; the customer's owner or
    its team's manager; or anyone who may read one of its receivables."""
    caller = unit.caller
    if policy.RECEIVABLE.can_read(
        caller, {"owner_id": owner_id, "team_id": team_id, "customer_owner_id": owner_id}
    ):
        return True
    columns = {
        "owner_id": ReceivableRow.owner_id,
        "team_id": ReceivableRow.team_id,
        "customer_owner_id": ReceivableRow.customer_owner_id,
    }
    found = unit.session.scalar(
        select(ReceivableRow.id)
        .where(
            ReceivableRow.customer_id == customer_id,
            visible(policy.RECEIVABLE, caller, columns),
        )
        .limit(1)
    )
    return found is not None
