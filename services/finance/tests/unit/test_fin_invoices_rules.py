"""Invoice arithmetic and states: exact tax in a tax-inclusive amount, the rate check, transitions."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from finance.domain import invoices as rules
from hypothesis import given
from hypothesis import strategies as st
from kernel.errors import Conflict, ValidationError

RATES = rules.parse_rates("0,0.01,0.03,0.06,0.09,0.13")


@pytest.mark.parametrize(
    ("amount", "rate", "tax"),
    [
        (11_300, "0.13", 1_300),  # ¥113.00 incl. 13% → ¥13.00
        (100, "0.13", 12),  # 11.504… → 12
        (1, "0.13", 0),  # 0.115 → 0
        (5, "0.13", 1),  # 0.575 → 1
        (10_600, "0.06", 600),
        (10_000, "0", 0),
        (10**15, "0.13", 115_044_247_787_611),  # far past a float's exact integers
        (3, "0.2", 1),  # exactly 0.5 → rounds half up
        (9, "0.2", 2),  # exactly 1.5 → 2
        (15, "0.2", 3),  # exactly 2.5 → 3 (half up, not to even)
    ],
)
def test_the_tax_inside_an_amount_is_exact_and_rounds_half_up(amount: int, rate: str, tax: int) -> None:
    assert rules.tax_included(amount, Decimal(rate)) == tax


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(RATES))
def test_the_integer_formula_is_the_decimal_definition(amount: int, rate: Decimal) -> None:
    expected = (Decimal(amount) * rate / (1 + rate)).quantize(Decimal(1), ROUND_HALF_UP)
    assert rules.tax_included(amount, rate) == int(expected)
    assert 0 <= rules.tax_included(amount, rate) <= amount


def test_a_float_never_enters_the_arithmetic() -> None:
    with pytest.raises(TypeError):
        rules.tax_included(100.0, Decimal("0.13"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rules.tax_included(100, 0.13)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0.13", "0.130", " 0.13", "0", "0.0000", "0.01"])
def test_configured_rates_are_accepted_in_any_spelling(value: str) -> None:
    rate = rules.parse_rate(value, RATES)
    assert rate in RATES and rate == rate.quantize(rules.RATE_PLACES)


@pytest.mark.parametrize("value", [0.13, "0.17", "13%", "abc", "NaN", None, True, "-0.13"])
def test_other_rates_and_floats_are_refused_naming_the_field(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.parse_rate(value, RATES)
    assert refused.value.errors[0]["field"] == "tax_rate"


def test_rate_text_is_the_short_spelling() -> None:
    assert [rules.rate_text(Decimal(r).quantize(rules.RATE_PLACES)) for r in ("0", "0.13", "0.01")] == [
        "0",
        "0.13",
        "0.01",
    ]


@pytest.mark.parametrize("setting", ["", "1.5", "-0.1", "0.12345"])
def test_a_bad_rate_setting_fails_loudly(setting: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_rates(setting)


@pytest.mark.parametrize(
    ("action", "status", "after"),
    [
        ("update", "draft", "draft"),
        ("issue", "draft", "issued"),
        ("pay", "issued", "paid"),
        ("void", "draft", "void"),
        ("void", "issued", "void"),
    ],
)
def test_allowed_transitions(action: str, status: str, after: str) -> None:
    assert rules.next_status(action, status) == after


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("update", "issued"),
        ("issue", "issued"),
        ("issue", "void"),
        ("pay", "draft"),
        ("pay", "paid"),
        ("void", "paid"),
        ("void", "void"),
    ],
)
def test_other_transitions_are_conflicts(action: str, status: str) -> None:
    with pytest.raises(Conflict):
        rules.next_status(action, status)
