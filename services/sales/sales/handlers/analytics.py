"""Funnel analytics: the question checked, the caller's right to ask it, the numbers from SQL."""

from __future__ import annotations

from typing import Any

from sales.contracts.common import DEFAULT_CURRENCY
from sales.domain import funnel as math
from sales.storage import analytics as store
from sales.storage.unit import SalesUnit


def funnel(
    unit: SalesUnit,
    owner_id: str | None = None,
    team_id: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> dict[str, Any]:
    """Counts, amounts, conversion, win rate, cycle time, lost reasons and the weighted forecast
    of the opportunities the caller may read (definitions: ``sales.contracts.analytics``)."""
    caller = unit.caller
    query = math.clean_query(owner_id, team_id, date_from, date_to, currency)
    owner_team = None
    if query.owner_id is not None and query.owner_id != caller.user_id and not caller.is_admin:
        owner_team = store.team_of(unit.session, query.owner_id)
    math.require_scope(caller, query, owner_team)
    figures = store.aggregates(unit.session, caller, query)
    return math.build_funnel(query, **figures.as_kwargs()).model_dump(mode="json")
