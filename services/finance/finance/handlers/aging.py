"""The aging report (per owner, team or customer) and the collections forecast (per month), over
the unsettled instalments the caller may read: finance everything, a manager their team's, a
seller their own and their customers'. ``owner`` / ``team`` narrow that; they never widen it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from kernel.errors import ValidationError

from finance.contracts.collections import (
    AGING_COLUMNS,
    AGING_GROUPS,
    DEFAULT_AGING_ROWS,
    MAX_AGING_ROWS,
    MAX_FORECAST_MONTHS,
)
from finance.domain import collections as rules
from finance.handlers.receivable_state import business_today
from finance.settings import finance_settings
from finance.storage import aging as store
from finance.storage.unit import FinanceUnit


def _text(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ValidationError.for_field(field, "must be a string of at most 64 characters")
    return value


def _day(value: Any, field: str = "as_of") -> date:
    if value is None or value == "":
        return business_today()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError.for_field(field, "must be a date YYYY-MM-DD")


def aging_report(
    unit: FinanceUnit,
    group_by: Any = "owner",
    owner: Any = None,
    team: Any = None,
    as_of: Any = None,
    limit: Any = DEFAULT_AGING_ROWS,
) -> dict[str, Any]:
    """Outstanding per group and currency: not yet due, then per overdue bucket, and the total;
    the ``limit`` largest groups, with totals (and the number of groups) over all of them."""
    if group_by not in AGING_GROUPS:
        raise ValidationError.for_field("group_by", f"must be one of {', '.join(AGING_GROUPS)}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_AGING_ROWS:
        raise ValidationError.for_field("limit", f"must be a whole number from 1 to {MAX_AGING_ROWS}")
    owner_id, team_id, day = _text(owner, "owner"), _text(team, "team"), _day(as_of)
    where = store.scope(unit.caller, owner_id, team_id)
    store.tune_for_report(unit.session, finance_settings().report_work_mem)
    found = store.aging_rows(unit.session, group_by, day, where, limit)
    figures = (*AGING_COLUMNS, "total")
    rows = [
        {
            "key": r.key,
            "name": r.name or r.key or "—",
            "currency": r.currency,
            **{column: int(getattr(r, column)) for column in figures},
            "count": int(r.instalments),
        }
        for r in found
    ]
    rows.sort(key=lambda r: (r["currency"], -r["total"], r["name"]))
    totals = {
        r.currency: {
            "key": None,
            "name": "合计 Total",
            "currency": r.currency,
            **{column: int(getattr(r, f"all_{column}")) for column in figures},
            "count": int(r.all_instalments),
        }
        for r in found
    }
    return {
        "group_by": group_by,
        "as_of": day.isoformat(),
        "owner": owner_id,
        "team": team_id,
        "rows": rows,
        "totals": [totals[c] for c in sorted(totals)],
        "groups": int(found[0].groups) if found else 0,
    }


def collections_forecast(
    unit: FinanceUnit,
    months: Any = 6,
    owner: Any = None,
    team: Any = None,
    customer_id: Any = None,
    as_of: Any = None,
) -> dict[str, Any]:
    """What the payment plans expect to come in per month from ``as_of`` on (the outstanding of
    instalments due that month), with what is already overdue carried into the first month."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_FORECAST_MONTHS:
        raise ValidationError.for_field("months", f"must be a whole number from 1 to {MAX_FORECAST_MONTHS}")
    owner_id, team_id = _text(owner, "owner"), _text(team, "team")
    customer, day = _text(customer_id, "customer_id"), _day(as_of)
    firsts = rules.forecast_months(day, months)
    end = rules.add_months(firsts[-1], 1)
    store.tune_for_report(unit.session, finance_settings().report_work_mem)
    found = store.forecast_rows(unit.session, day, end, store.scope(unit.caller, owner_id, team_id, customer))
    by: dict[str, dict[str, int]] = defaultdict(dict)
    for r in found:
        by[r.currency][r.period] = int(r.amount)
    labels = [f"{m.year:04d}-{m.month:02d}" for m in firsts]
    items = []
    for currency in sorted(by):
        periods = by[currency]
        for i, label in enumerate(labels):
            expected = periods.get(label, 0)
            carried = periods.get("overdue", 0) if i == 0 else 0
            items.append(
                {
                    "month": label,
                    "currency": currency,
                    "expected_minor": expected,
                    "overdue_carried_minor": carried,
                    "total_minor": expected + carried,
                }
            )
    return {
        "as_of": day.isoformat(),
        "months": labels,
        "items": items,
        "later_minor": {c: p["later"] for c, p in sorted(by.items()) if p.get("later")},
    }
