"""Collections rules, framework-free: when an instalment's overdue bucket moved, who hears of
it, a customer's credit-risk level, and the months of the collections forecast."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from finance.domain import ledger

BUCKET_NAMES: tuple[str, ...] = tuple(name for _, _, name in ledger.BUCKETS)


def bucket_starts(today: date) -> dict[str, date]:
    """Bucket → the latest due date already in it (or a later bucket) on ``today``: due on or
    before ``today - first day``. The SQL of the overdue scan compares due dates with these."""
    return {name: today - timedelta(days=first) for first, _, name in ledger.BUCKETS}


def advanced(stored: str | None, current: str | None) -> bool:
    """The instalment moved into a later bucket than the one last announced."""
    return ledger.bucket_rank(current) > ledger.bucket_rank(stored)


def reached(bucket: str | None, threshold: str) -> bool:
    if threshold not in BUCKET_NAMES:
        raise ValueError(f"{threshold!r} is not an overdue bucket ({', '.join(BUCKET_NAMES)})")
    return ledger.bucket_rank(bucket) >= ledger.bucket_rank(threshold)


def recipients(owner_id: str | None, managers: Iterable[str], bucket: str, manager_bucket: str) -> list[str]:
    """Who hears of an instalment entering ``bucket``: the seller who owns it always; the team's
    managers once it reached ``manager_bucket``. Finance is not told per instalment (it sees
    everything in the aging report); it hears when a customer's risk turns high."""
    people = [owner_id] if owner_id else []
    if reached(bucket, manager_bucket):
        people += list(managers)
    return list(dict.fromkeys(people))


@dataclass(frozen=True)
class RiskThresholds:
    medium_bucket: str = "31-60"
    high_bucket: str = "90+"
    medium_overdue_minor: int = 10_000_000
    high_overdue_minor: int = 50_000_000


@dataclass(frozen=True)
class Exposure:
    """What a customer has overdue: per currency the outstanding past due, and the oldest age."""

    overdue_by_currency: Mapping[str, int]
    max_overdue_days: int

    @property
    def largest(self) -> tuple[str | None, int]:
        """(currency, amount) of the largest overdue amount (amounts of different currencies
        are never added up)."""
        if not self.overdue_by_currency:
            return None, 0
        currency = max(sorted(self.overdue_by_currency), key=lambda c: self.overdue_by_currency[c])
        return currency, self.overdue_by_currency[currency]


RISK_ORDER = ("none", "low", "medium", "high")


def risk_level(exposure: Exposure, thresholds: RiskThresholds) -> str:
    _, amount = exposure.largest
    if amount <= 0 or exposure.max_overdue_days <= 0:
        return "none"
    oldest = ledger.bucket_of(exposure.max_overdue_days)
    if reached(oldest, thresholds.high_bucket) or amount >= thresholds.high_overdue_minor:
        return "high"
    if reached(oldest, thresholds.medium_bucket) or amount >= thresholds.medium_overdue_minor:
        return "medium"
    return "low"


def worsened(before: str | None, after: str) -> bool:
    return RISK_ORDER.index(after) > RISK_ORDER.index(before or "none")


# -- the forecast's months ------------------------------------------------------------------------
def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def forecast_months(as_of: date, months: int) -> list[date]:
    """The first days of the ``months`` months from ``as_of``'s month on."""
    start = month_start(as_of)
    return [add_months(start, i) for i in range(months)]
