"""The ledger's arithmetic, framework-free: what a receivable owes, its status, its overdue
bucket, and whether an allocation, a write-off or a re-plan keeps the books balanced.

Money is ``int`` minor units throughout; a float anywhere is a bug (``require_minor`` refuses
one). The invariant every function here keeps, per receivable:

    amount = paid + outstanding + written_off,   outstanding >= 0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kernel.errors import ValidationError

# (first day, last day or None, bucket): days past due → the aging report's column.
BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 30, "1-30"),
    (31, 60, "31-60"),
    (61, 90, "61-90"),
    (91, None, "90+"),
)
SETTLED = ("paid", "written_off", "cancelled")
MAX_MINOR = 10**15


@dataclass(frozen=True)
class Balance:
    amount: int
    paid: int
    written_off: int

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid - self.written_off

    def check(self) -> None:
        if min(self.amount, self.paid, self.written_off, self.outstanding) < 0:
            raise AssertionError(f"unbalanced receivable: {self}")


def require_minor(value: object, field: str, *, positive: bool = True) -> int:
    """An amount in minor units from input: an int (never a float or bool), in range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.for_field(field, "must be an integer amount in minor units (分)")
    if value > MAX_MINOR or value < (1 if positive else 0):
        raise ValidationError.for_field(field, "must be positive" if positive else "must not be negative")
    return value


def status_of(balance: Balance, *, cancelled: bool = False) -> str:
    if cancelled:
        return "cancelled"
    if balance.outstanding == 0:
        return "written_off" if balance.written_off and not balance.paid else "paid"
    return "partially_paid" if balance.paid or balance.written_off else "open"


def overdue_days(due_date: date, today: date, status: str) -> int:
    """Days past due of an unsettled instalment (0 on its due date and for a settled one)."""
    if status in SETTLED:
        return 0
    return max(0, (today - due_date).days)


def bucket_of(days: int) -> str | None:
    for first, last, name in BUCKETS:
        if days >= first and (last is None or days <= last):
            return name
    return None


def bucket_rank(bucket: str | None) -> int:
    """0 = not overdue, 1 = "1-30", … 4 = "90+" (buckets only move forward while unpaid)."""
    names = [name for _, _, name in BUCKETS]
    return 0 if bucket is None else names.index(bucket) + 1


def allocate(balance: Balance, amount: int) -> Balance:
    """Pay ``amount`` of a receivable: no more than it still owes."""
    if amount <= 0:
        raise ValidationError.for_field("amount_minor", "must be positive")
    if amount > balance.outstanding:
        raise ValidationError.for_field(
            "amount_minor", f"{amount} is more than the {balance.outstanding} still outstanding"
        )
    return Balance(balance.amount, balance.paid + amount, balance.written_off)


def unallocate(balance: Balance, amount: int, *, cancelled: bool = False) -> Balance:
    """Undo an allocation of ``amount`` (a voided payment). A cancelled receivable bills only what
    is settled, so it shrinks with it instead of owing the money again."""
    if amount <= 0 or amount > balance.paid:
        raise ValidationError.for_field("amount_minor", f"must be between 1 and the {balance.paid} paid")
    after = Balance(balance.amount, balance.paid - amount, balance.written_off)
    return cancel(after) if cancelled else after


def write_off(balance: Balance, amount: int) -> Balance:
    if amount <= 0 or amount > balance.outstanding:
        raise ValidationError.for_field("amount_minor", f"must be between 1 and {balance.outstanding}")
    return Balance(balance.amount, balance.paid, balance.written_off + amount)


def replan(balance: Balance, new_amount: int) -> Balance:
    """An order change bills ``new_amount`` now; what is already settled stays settled."""
    settled = balance.paid + balance.written_off
    if new_amount < settled:
        raise ValidationError.for_field(
            "amount_minor", f"cannot bill less than the {settled} already settled"
        )
    return Balance(new_amount, balance.paid, balance.written_off)


def cancel(balance: Balance) -> Balance:
    """A cancelled order stops billing what is unsettled: the amount shrinks to the settled part."""
    return Balance(balance.paid + balance.written_off, balance.paid, balance.written_off)
