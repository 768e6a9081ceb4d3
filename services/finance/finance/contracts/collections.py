"""Collections (催收): overdue detection, customer credit risk, the aging report and the forecast.

Overdue: a timer compares each unsettled receivable's days past due (business-zone "today")
with the bucket it last announced; when it moved into a later bucket (1-30, 31-60, 61-90, 90+)
it publishes ``receivable.overdue`` (``contracts.receivables``) once for that bucket and notifies
the seller who owns the instalment, and from ``overdue_manager_bucket`` (default 31-60) on the
managers of the seller's team too. Paid, written off or cancelled, the receivable leaves the
overdue state (its announced bucket resets).

Credit risk: per customer, from what is overdue (outstanding of receivables past due, per
currency) and how late the oldest of it is. Levels (thresholds are settings):

    none    nothing overdue
    low     something overdue
    medium  the oldest overdue instalment reached ``risk_medium_bucket`` (31-60), or the overdue
            amount in one currency reached ``risk_medium_overdue_minor`` (¥100,000.00)
    high    the oldest reached ``risk_high_bucket`` (90+), or the overdue amount reached
            ``risk_high_overdue_minor`` (¥500,000.00)

Recomputed when the timer moves a bucket and when a receivable of the customer is paid (or
written off); ``customer.credit_risk_changed`` is published only when the level changes
(aggregate ``customer_risk``, id = the customer id).

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied):
    get_customer_risk(caller, customer_id) -> CreditRisk     (level "none" if never assessed)
    aging_report(caller, group_by="owner", owner=None, team=None, as_of=None, limit=500) -> Aging
        group_by: owner | team | customer; only the receivables the caller may read; the
        ``limit`` largest groups by total (``groups``: how many there are; ``totals``: all)
    collections_forecast(caller, months=6, owner=None, team=None, customer_id=None,
                         as_of=None) -> Forecast
    list_notifications(caller, unread_only=False, cursor=None, limit=None) -> Page[Notification]
    mark_notification_read(caller, notification_id) -> Notification   (the caller's own only)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from kernel.kinds import SearchKind
from pydantic import BaseModel, ConfigDict

CUSTOMER_CREDIT_RISK_CHANGED = "customer.credit_risk_changed"
RISK_AGGREGATE = "customer_risk"
OVERDUE_NOTIFICATION = "receivable_overdue"  # notification kind prefix: "receivable_overdue:31-60"
RISK_NOTIFICATION = "credit_risk_high"

AgingGroup = Literal["owner", "team", "customer"]
AGING_GROUPS: tuple[str, ...] = get_args(AgingGroup)
AGING_COLUMNS = ("current", "b1_30", "b31_60", "b61_90", "b90_plus")  # amounts, minor units
BUCKET_COLUMNS = {"1-30": "b1_30", "31-60": "b31_60", "61-90": "b61_90", "90+": "b90_plus"}
MAX_FORECAST_MONTHS = 24
DEFAULT_AGING_ROWS, MAX_AGING_ROWS = 500, 5000  # the largest groups; totals cover all


class CreditRisk(BaseModel):
    """A customer's credit risk (the event's data: full state)."""

    model_config = ConfigDict(extra="allow")
    id: str  # = customer_id (the aggregate id)
    customer_id: str
    customer_name: str | None = None
    level: str  # common.RISK_LEVELS
    previous_level: str | None = None
    overdue_minor: int  # the largest overdue amount of one currency
    currency: str | None = None  # of overdue_minor
    max_overdue_days: int
    as_of: str  # ISO date the ages are relative to
    version: int
    updated_at: datetime | None = None


class AgingRow(BaseModel):
    key: str | None  # owner id, team id or customer id (None: no team / no owner)
    name: str
    currency: str
    current: int  # outstanding, not yet due
    b1_30: int
    b31_60: int
    b61_90: int
    b90_plus: int
    total: int
    count: int  # unsettled instalments


class Aging(BaseModel):
    group_by: AgingGroup
    as_of: str
    owner: str | None = None
    team: str | None = None
    rows: list[AgingRow]  # the largest groups (at most ``limit``)
    totals: list[AgingRow]  # one per currency (key None), over every group
    groups: int = 0  # how many groups there are (more than ``rows`` when the limit cut them)


class ForecastMonth(BaseModel):
    month: str  # YYYY-MM
    currency: str
    expected_minor: int  # outstanding falling due that month (from as_of on)
    overdue_carried_minor: int  # already past due on as_of (carried into the first month)
    total_minor: int


class Forecast(BaseModel):
    as_of: str
    months: list[str]
    items: list[ForecastMonth]
    later_minor: dict[str, int]  # currency → due after the horizon


class Notification(BaseModel):
    id: str
    kind: str
    subject_id: str
    customer_id: str | None = None
    message: str
    data: dict[str, Any] = {}
    created_at: datetime
    read_at: datetime | None = None


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {CUSTOMER_CREDIT_RISK_CHANGED: CreditRisk}
SEARCH_KINDS: tuple[SearchKind, ...] = ()
