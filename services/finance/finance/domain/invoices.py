"""Invoice arithmetic and states, framework-free.

The tax in a tax-inclusive amount is exact integer arithmetic: with the rate as the fraction
n/d, ``tax = amount × n / (d + n)``, rounded half up to the minor unit. No float is ever made
(a float rate or amount is refused before it gets here).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from kernel.errors import Conflict, ValidationError

DRAFT, ISSUED, PAID, VOID = "draft", "issued", "paid", "void"
RATE_PLACES = Decimal("0.0001")  # the column is Numeric(5, 4)

# action → the statuses it may start from and the status it leads to
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "update": ((DRAFT,), DRAFT),
    "issue": ((DRAFT,), ISSUED),
    "pay": ((ISSUED,), PAID),
    "void": ((DRAFT, ISSUED), VOID),
}


def next_status(action: str, status: str) -> str:
    """The status ``action`` leads to from ``status``; a Conflict (409) when it may not."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise Conflict(
            f"a {status} invoice cannot be {_PAST[action]} (only {' or '.join(sources)})",
            [{"field": "status", "message": f"is {status}"}],
        )
    return target


_PAST = {"update": "edited", "issue": "issued", "pay": "marked paid", "void": "voided"}


def parse_rate(value: object, allowed: Iterable[Decimal], field: str = "tax_rate") -> Decimal:
    """A tax rate from input: a decimal string (never a float) equal to one of ``allowed``."""
    if not isinstance(value, str):
        raise ValidationError.for_field(field, 'must be a decimal string, e.g. "0.13"')
    try:
        rate = Decimal(value.strip())
    except InvalidOperation:
        raise ValidationError.for_field(field, 'must be a decimal string, e.g. "0.13"') from None
    choices = sorted(set(allowed))
    if not rate.is_finite() or rate not in choices:
        raise ValidationError.for_field(field, f"must be one of {', '.join(rate_text(r) for r in choices)}")
    return rate.quantize(RATE_PLACES)


def parse_rates(setting: str) -> tuple[Decimal, ...]:
    """The configured rates ("0,0.01,0.13") as Decimals in [0, 1)."""
    rates = tuple(Decimal(part.strip()) for part in setting.split(",") if part.strip())
    if not rates or any(not (0 <= r < 1) or r != r.quantize(RATE_PLACES) for r in rates):
        raise ValueError(f"invoice tax rates must be decimals in [0, 1) with at most 4 places: {setting!r}")
    return rates


def rate_text(rate: Decimal) -> str:
    """``Decimal("0.1300")`` → ``"0.13"``; ``Decimal("0.0000")`` → ``"0"``."""
    text = format(rate.normalize(), "f")
    return text


def tax_included(amount_minor: int, rate: Decimal) -> int:
    """The tax inside a tax-inclusive ``amount_minor`` at ``rate``, rounded half up."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int of minor units")
    if not isinstance(rate, Decimal):
        raise TypeError("rate must be a Decimal")
    if amount_minor < 0 or rate < 0:
        raise ValueError("amount and rate must not be negative")
    numerator, denominator = rate.as_integer_ratio()
    exact_den = denominator + numerator  # rate / (1 + rate) = n / (d + n)
    # floor(x + 1/2) with x = amount × n / (d + n), in integers
    return (2 * amount_minor * numerator + exact_den) // (2 * exact_den)
