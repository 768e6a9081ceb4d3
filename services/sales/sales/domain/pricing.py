"""Quote pricing: line totals and the quote's totals in integer minor units, exactly.

A line's total is ``quantity × unit_price × (1 − discount/100)`` computed in ``Decimal`` and
rounded half-up to the minor unit once per line (what the customer sees on each line adds up to
the total). The subtotal is before discounts; discount = subtotal − total.

Framework-free: input checking collects every problem, each naming its field as
``lines[3].discount_pct`` (0-based, as in the request), so a form can show it on its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from kernel.errors import FieldErrors

MAX_LINES = 200
MAX_PRODUCT_CHARS = 200
MAX_QUANTITY = 1_000_000_000
MAX_UNIT_PRICE_MINOR = 10**13  # with MAX_QUANTITY, totals stay far inside BIGINT
MAX_TOTAL_MINOR = 10**15
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    product: str
    quantity: int
    unit_price_minor: int
    discount_pct: Decimal  # 0–100, at most two decimals

    @property
    def gross_minor(self) -> int:
        return self.quantity * self.unit_price_minor

    @property
    def total_minor(self) -> int:
        return line_total(self.quantity, self.unit_price_minor, self.discount_pct)


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int  # before discounts
    discount_minor: int
    total_minor: int
    max_discount_pct: Decimal


def line_total(quantity: int, unit_price_minor: int, discount_pct: Decimal) -> int:
    exact = Decimal(quantity) * Decimal(unit_price_minor) * (HUNDRED - discount_pct) / HUNDRED
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def totals(lines: Sequence[Line]) -> Totals:
    subtotal = sum(line.gross_minor for line in lines)
    total = sum(line.total_minor for line in lines)
    top = max((line.discount_pct for line in lines), default=Decimal(0))
    return Totals(subtotal, subtotal - total, total, top)


def parse_pct(value: Any) -> Decimal | None:
    """A percentage from JSON (number or string) as an exact Decimal; None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as this float: 12.5, not 12.4999…
    if not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def clean_lines(raw: Any, field: str = "lines") -> list[Line]:
    """The request's line items, checked; ValidationError naming every bad field at once."""
    errors = FieldErrors()
    lines = check_lines(raw, errors, field)
    errors.raise_if_any()
    return lines


def check_lines(raw: Any, errors: FieldErrors, field: str = "lines") -> list[Line]:
    """The good lines of ``raw``; each problem goes to ``errors`` (the caller raises)."""
    if not isinstance(raw, list | tuple):
        errors.add(field, "must be a list of line items")
        return []
    if not raw:
        errors.add(field, "needs at least one line item")
        return []
    if len(raw) > MAX_LINES:
        errors.add(field, f"at most {MAX_LINES} line items")
        return []
    found = len(errors.errors)
    lines = [line for i, item in enumerate(raw) if (line := _clean_line(item, f"{field}[{i}]", errors))]
    if len(errors.errors) == found and totals(lines).subtotal_minor > MAX_TOTAL_MINOR:
        errors.add(field, f"the quote's total must not exceed {MAX_TOTAL_MINOR} minor units")
    return lines


def _clean_line(item: Any, at: str, errors: FieldErrors) -> Line | None:
    if not isinstance(item, dict):
        errors.add(at, "must be an object with product, quantity, unit_price_minor, discount_pct")
        return None
    unknown = set(item) - {"product", "quantity", "unit_price_minor", "discount_pct"}
    for key in sorted(unknown):
        errors.add(f"{at}.{key}", "is not a field of a line item")
    before = len(errors.errors)
    product = item.get("product")
    if not isinstance(product, str) or not product.strip():
        errors.add(f"{at}.product", "is required")
    elif len(product.strip()) > MAX_PRODUCT_CHARS:
        errors.add(f"{at}.product", f"at most {MAX_PRODUCT_CHARS} characters")
    quantity = _integer(item.get("quantity"))
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        errors.add(f"{at}.quantity", f"must be a whole number from 1 to {MAX_QUANTITY}")
    price = _integer(item.get("unit_price_minor"))
    if price is None or not 0 <= price <= MAX_UNIT_PRICE_MINOR:
        errors.add(f"{at}.unit_price_minor", "must be a whole number of minor units (分), 0 or more")
    raw_pct = item.get("discount_pct", 0)
    pct = parse_pct(0 if raw_pct is None or raw_pct == "" else raw_pct)
    if pct is None or not Decimal(0) <= pct <= HUNDRED:
        errors.add(f"{at}.discount_pct", "must be a percentage from 0 to 100")
    elif pct != pct.quantize(CENT):
        errors.add(f"{at}.discount_pct", "at most two decimal places")
    if len(errors.errors) > before or unknown:
        return None
    assert isinstance(product, str) and quantity is not None and price is not None and pct is not None
    return Line(product.strip(), quantity, price, pct.quantize(CENT))
