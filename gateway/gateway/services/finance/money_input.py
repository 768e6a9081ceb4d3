"""Money typed in the UI (元) to integer minor units (分), exactly: Decimal, never a float.

"1234.5", "1,234.50", "¥1 234.50" and full-width digits punctuation all mean 123450 分; more
than two decimals, a sign, an exponent or anything else is refused (the form names the field)
rather than rounded: a payment is never silently a fen off.
"""

from __future__ import annotations

import re
from decimal import Decimal

_MONEY = re.compile(r"^\d{1,13}(\.\d{1,2})?$")
_NOISE = str.maketrans({",": None, "，": None, " ": None, "\u00a0": None, "¥": None, "￥": None, "．": "."})
MAX_YUAN_DIGITS = 13


def yuan_to_minor(text: str) -> int:
    """元 text → 分; ValueError (with a message for the user) when it is not an amount."""
    cleaned = text.strip().translate(_NOISE)
    if not _MONEY.match(cleaned):
        raise ValueError("enter an amount in 元 with at most two decimals, e.g. 1234.50")
    minor = Decimal(cleaned).scaleb(2)
    if minor != minor.to_integral_value():  # unreachable given the pattern; guards a change to it
        raise ValueError("at most two decimals")
    return int(minor)


def minor_to_yuan(amount_minor: int) -> str:
    """分 → "1234.50" (the value an input shows; no grouping, so it reads back unchanged)."""
    sign = "-" if amount_minor < 0 else ""
    whole, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{whole}.{cents:02d}"
