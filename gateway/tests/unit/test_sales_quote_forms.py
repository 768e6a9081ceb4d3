"""The quote editor's form reading: yuan to minor units, rows to line items, row errors."""

from __future__ import annotations

from gateway.services.sales.web_quotes import _body, _minor, _row_errors, money


def test_prices_typed_in_yuan_become_minor_units_or_stay_text_for_the_service_to_name():
    assert _minor("999.00") == 99_900
    assert _minor("1,234.5") == 123_450
    assert _minor("0") == 0
    assert _minor("12.345") == "12.345"  # not a whole number of 分: the service names the field
    assert _minor("abc") == "abc"


def test_rows_become_line_items():
    body = _body(
        {"currency": "cny", "valid_until": "2026-12-31", "notes": " "},
        [{"product": "旗舰版", "quantity": "2", "unit_price": "10", "discount_pct": ""}],
    )
    assert body == {
        "currency": "CNY",
        "valid_until": "2026-12-31",
        "notes": None,
        "lines": [{"product": "旗舰版", "quantity": 2, "unit_price_minor": 1000, "discount_pct": "0"}],
    }


def test_line_errors_go_to_their_row_the_rest_to_the_form():
    rows, general = _row_errors(
        [
            {"field": "lines[1].discount_pct", "message": "must be a percentage from 0 to 100"},
            {"field": "lines[1].quantity", "message": "must be a whole number"},
            {"field": "valid_until", "message": "must not be in the past"},
            {"field": "lines", "message": "needs at least one line item"},
        ]
    )
    assert rows == {
        1: ["discount_pct: must be a percentage from 0 to 100", "quantity: must be a whole number"]
    }
    assert [e["field"] for e in general] == ["valid_until", "lines"]


def test_money():
    assert money(123_456_78, "CNY") == "CNY 123,456.78"
    assert money(None) == "—"
