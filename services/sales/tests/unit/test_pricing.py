"""Quote pricing: exact line totals rounded half-up per line, totals, and field-named limits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kernel.errors import ValidationError
from sales.domain.pricing import MAX_LINES, Line, clean_lines, line_total, parse_pct, totals


def fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


@pytest.mark.parametrize(
    ("quantity", "price", "pct", "expected"),
    [
        (3, 1000, Decimal("0"), 3000),
        (1, 999, Decimal("10"), 899),  # 899.1 → 899
        (1, 5, Decimal("10"), 5),  # 4.5 → 5: half-up, not banker's rounding (which gives 4)
        (1, 15, Decimal("10"), 14),  # 13.5 → 14
        (1, 25, Decimal("10"), 23),  # 22.5 → 23 (banker's would give 22)
        (3, 333, Decimal("33.33"), 666),  # 666.0033 → 666
        (7, 1, Decimal("50"), 4),  # 3.5 → 4
        (2, 12345, Decimal("100"), 0),
        (1, 0, Decimal("5"), 0),
    ],
)
def test_line_total_is_exact_and_rounds_half_up_per_line(quantity, price, pct, expected):
    assert line_total(quantity, price, pct) == expected


def test_totals_add_the_rounded_lines_and_keep_subtotal_before_discounts():
    lines = [Line("A", 1, 5, Decimal("10")), Line("B", 1, 5, Decimal("10")), Line("C", 2, 100, Decimal("0"))]
    result = totals(lines)
    assert result.subtotal_minor == 210
    assert result.total_minor == 5 + 5 + 200  # each line rounded on its own (4.5 → 5, twice)
    assert result.discount_minor == 0
    assert result.max_discount_pct == Decimal("10")
    assert totals([Line("x", 4, 250, Decimal("12.5"))]).discount_minor == 125


def test_clean_lines_accepts_numbers_and_strings_for_the_discount():
    lines = clean_lines(
        [
            {"product": " 旗舰版 ", "quantity": 2, "unit_price_minor": 100000, "discount_pct": "12.5"},
            {"product": "实施服务", "quantity": 1, "unit_price_minor": 5000, "discount_pct": 7.25},
            {"product": "培训", "quantity": 1, "unit_price_minor": 0},
        ]
    )
    assert [line.product for line in lines] == ["旗舰版", "实施服务", "培训"]
    assert [line.discount_pct for line in lines] == [Decimal("12.50"), Decimal("7.25"), Decimal("0.00")]


def test_each_bad_field_is_named_by_its_row():
    with pytest.raises(ValidationError) as exc:
        clean_lines(
            [
                {"product": "ok", "quantity": 1, "unit_price_minor": 1, "discount_pct": 0},
                {"product": "", "quantity": 0, "unit_price_minor": -1, "discount_pct": "101"},
                {"product": "x" * 201, "quantity": 1.5, "unit_price_minor": "10", "discount_pct": "1.234"},
                {
                    "product": "ok",
                    "quantity": True,
                    "unit_price_minor": 1,
                    "discount_pct": "abc",
                    "color": "red",
                },
            ]
        )
    assert fields(exc) == {
        "lines[1].product",
        "lines[1].quantity",
        "lines[1].unit_price_minor",
        "lines[1].discount_pct",
        "lines[2].product",
        "lines[2].quantity",
        "lines[2].unit_price_minor",
        "lines[2].discount_pct",
        "lines[3].quantity",
        "lines[3].discount_pct",
        "lines[3].color",
    }


def test_line_count_limits():
    with pytest.raises(ValidationError) as exc:
        clean_lines([])
    assert fields(exc) == {"lines"}
    with pytest.raises(ValidationError) as exc:
        clean_lines("not a list")
    assert fields(exc) == {"lines"}
    one = {"product": "p", "quantity": 1, "unit_price_minor": 1}
    assert len(clean_lines([one] * MAX_LINES)) == MAX_LINES
    with pytest.raises(ValidationError) as exc:
        clean_lines([one] * (MAX_LINES + 1))
    assert fields(exc) == {"lines"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12.5, Decimal("12.5")), ("7", Decimal(7)), (3, Decimal(3)), ("x", None), (True, None), ("NaN", None)],
)
def test_parse_pct(raw, expected):
    assert parse_pct(raw) == expected
