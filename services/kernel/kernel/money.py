"""Money as people read it: integer minor units + currency → ``"¥12,345.00"`` / ``"12345.00"``.

Shared by documents (quote PDFs), search documents and the gateway's pages, so the amount a PDF
shows is the amount search finds and the page displays. Pure Python.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 exponents that are not 2.
_EXPONENT = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}
_SYMBOL = {"CNY": "¥"}


def minor_digits(currency: str) -> int:
    return _EXPONENT.get(currency.upper(), 2)


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """``1234550`` CNY → ``Decimal("12345.50")`` (exact)."""
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def format_amount(amount_minor: int, currency: str) -> str:
    """The plain decimal, no grouping: ``1234550`` CNY → ``"12345.50"`` (what people type)."""
    digits = minor_digits(currency)
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{units}.{cents:0{digits}d}" if digits else f"{sign}{units}"


def format_money(amount_minor: int, currency: str) -> str:
    """``"¥12,345.00"`` for CNY, ``"USD 1,234.50"`` otherwise, ``"JPY 1,234"`` without minor units."""
    code = currency.upper()
    digits = minor_digits(code)
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 10**digits)
    number = f"{units:,}" + (f".{cents:0{digits}d}" if digits else "")
    symbol = _SYMBOL.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"
