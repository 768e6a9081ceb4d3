"""Funnel analytics and the weighted forecast.

RPC:
    funnel(caller, owner_id=None, team_id=None, date_from=None, date_to=None, currency="CNY") -> Funnel

What the numbers mean (one definition, used by the SQL, the RPC and the dashboard):

- **Currency.** Amounts are never added across currencies: a funnel is of one currency
  (``currency``, default CNY), and counts, amounts and rates are all over that currency's
  opportunities.
- **Date range** ``[date_from, date_to]``: whole UTC days, both ends included, either open.
  ``stages`` and ``conversion`` are over the opportunities *created* in the range; ``win_rate``,
  ``cycle_days`` and ``lost_reasons`` over those *closed* (won or lost) in the range; the
  ``forecast`` over the *open* opportunities whose expected close date is in the range (with
  no range: every open one, those without a date as the month ``null``).
- **Scope.** What the caller may read (``sales.policy.OPPORTUNITY``: admin everything, a manager
  their team's, a sales user their own and those on customers they own), narrowed by
  ``owner_id`` / ``team_id``. Asking for numbers you may not see — another team, another team's
  seller — is PermissionDenied (naming the field), not an empty funnel that looks real.
- **Reached.** An opportunity reached stage *k* of qualification → demo → proposal → trial →
  negotiation → won when its furthest stage ever (from the stage history, so a later step back
  does not undo it) is *k* or beyond: a skip (qualification → proposal) passes demo.
  ``conversion[k]`` = reached(k+1) / reached(k). Lost is not a step: a deal lost in trial
  reached trial.
- **Money** is integer minor units; ``weighted_amount_minor`` = amount × the stage's probability
  (``stage_settings``, percent), rounded half up once per figure (a stage, a month; the
  forecast total is the sum of its months). **Rates** are decimal
  fractions in ``[0, 1]`` sent as strings with 4 places (``"0.4250"``), **days** decimal strings
  with 1 place; ``null`` when there is nothing to divide by (no closed deal: no win rate).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from sales.contracts.common import DEFAULT_CURRENCY

FUNNEL_STEPS: tuple[str, ...] = ("qualification", "demo", "proposal", "trial", "negotiation", "won")
RATE_PLACES = Decimal("0.0001")
DAYS_PLACES = Decimal("0.1")
__all__ = ["DEFAULT_CURRENCY", "FUNNEL_STEPS", "Funnel"]


class StageFigures(BaseModel):
    stage: str
    label: str
    probability_pct: int
    count: int  # opportunities now in this stage
    amount_minor: int
    weighted_amount_minor: int
    reached: int | None = None  # opportunities that reached it (funnel steps only; not for lost)


class Conversion(BaseModel):
    from_stage: str
    to_stage: str
    reached_from: int
    reached_to: int
    rate: Decimal | None  # null when no opportunity reached from_stage


class CycleTime(BaseModel):
    """Average days from creation to close of the deals closed in the range."""

    won_days: Decimal | None
    lost_days: Decimal | None
    overall_days: Decimal | None


class LostReasonFigures(BaseModel):
    reason: str | None  # null: lost without a recorded reason (older data)
    label: str
    count: int
    amount_minor: int


class ForecastMonth(BaseModel):
    month: str | None  # "2026-12"; null: open opportunities without an expected close date
    count: int
    amount_minor: int
    weighted_amount_minor: int


class ForecastTotal(BaseModel):
    count: int
    amount_minor: int
    weighted_amount_minor: int


class Funnel(BaseModel):
    currency: str
    owner_id: str | None
    team_id: str | None
    date_from: date | None
    date_to: date | None
    stages: list[StageFigures]
    conversion: list[Conversion]
    won: int
    lost: int
    win_rate: Decimal | None  # won / (won + lost) closed in the range
    cycle: CycleTime
    lost_reasons: list[LostReasonFigures]
    forecast: list[ForecastMonth]
    forecast_total: ForecastTotal
