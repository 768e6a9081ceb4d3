"""SLA arithmetic in business hours, framework-free.

A ``BusinessCalendar`` says when the desk works: a daily window (09:00–18:00) on some weekdays,
in one time zone, minus holidays. ``add_business_time`` finds when a target of N business hours
starting at a moment falls due; ``business_time_between`` measures how much business time passed
(the SLA clocks, and how far a pause pushes the targets out). Moments in and out are aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # a target further away than this is a misconfigured calendar
NEAR_BREACH_RATIO = 0.8

# priority → (first response, resolution), in business time
DEFAULT_TARGETS: dict[str, tuple[timedelta, timedelta]] = {
    "P1": (timedelta(minutes=30), timedelta(hours=4)),
    "P2": (timedelta(hours=2), timedelta(hours=16)),
    "P3": (timedelta(hours=4), timedelta(hours=27)),
    "P4": (timedelta(hours=8), timedelta(hours=45)),
}


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Shanghai"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: Monday = 1
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # an unknown zone fails here, at start-up
        if self.day_end <= self.day_start:
            raise ValueError("the business day must end after it starts")
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise ValueError("weekdays are ISO weekday numbers 1–7")

    @classmethod
    def parse(
        cls, *, timezone: str, day_start: str, day_end: str, weekdays: str, holidays: str | Iterable[str]
    ) -> BusinessCalendar:
        """From settings text: "09:00", "1,2,3,4,5", "2026-10-01,2026-10-02"."""
        days = holidays.split(",") if isinstance(holidays, str) else list(holidays)
        return cls(
            timezone=timezone,
            day_start=time.fromisoformat(day_start),
            day_end=time.fromisoformat(day_end),
            weekdays=frozenset(int(d) for d in weekdays.split(",") if d.strip()),
            holidays=frozenset(date.fromisoformat(d.strip()) for d in days if d.strip()),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_business_day(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business windows (UTC) from the day of ``start`` on, in order."""
        day = start.astimezone(self.zone).date()
        for _ in range(MAX_DAYS):
            if self.is_business_day(day):
                opens = datetime.combine(day, self.day_start, tzinfo=self.zone).astimezone(UTC)
                closes = datetime.combine(day, self.day_end, tzinfo=self.zone).astimezone(UTC)
                yield opens, closes
            day += timedelta(days=1)


def add_business_time(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The moment ``amount`` of business time after ``start`` (``start`` itself if zero)."""
    _aware(start)
    remaining = amount
    if remaining <= timedelta(0):
        return start
    for opens, closes in calendar.windows(start):
        cursor = max(start, opens)
        if cursor >= closes:
            continue
        available = closes - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
    raise ValueError(f"no business time within {MAX_DAYS} days: check the calendar")


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time in [start, end) (zero when end is not after start)."""
    _aware(start)
    _aware(end)
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in calendar.windows(start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def clock_state(
    calendar: BusinessCalendar,
    started: datetime,
    due: datetime,
    now: datetime,
    *,
    met_at: datetime | None = None,
) -> str:
    """One clock: "met" (stopped in time), "breached", "near_breach" (80% of its business time
    used) or "ok"."""
    if met_at is not None:
        return "met" if met_at <= due else "breached"
    if now >= due:
        return "breached"
    target = business_time_between(calendar, started, due)
    used = business_time_between(calendar, started, now)
    return "near_breach" if target and used >= target * NEAR_BREACH_RATIO else "ok"


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("SLA moments must be timezone-aware")
