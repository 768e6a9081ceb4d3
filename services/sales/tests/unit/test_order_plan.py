"""Validation of an order's payment plan and service period."""

from __future__ import annotations

from datetime import date

import pytest
from kernel.errors import ValidationError
from sales.domain import deals


def _order(**overrides):
    data = {
        "contract_id": "c-1",
        "service_start": "2027-01-01",
        "service_end": "2027-12-31",
        "instalments": [
            {"due_date": "2027-01-15", "amount_minor": 60_000},
            {"due_date": "2027-07-15", "amount_minor": 40_000},
        ],
    }
    data.update(overrides)
    return data


def _fields(exc: ValidationError) -> set[str]:
    return {e["field"] for e in exc.errors}


def test_a_good_plan_is_numbered_in_due_order():
    plan = deals.clean_order(_order(), 100_000)
    assert plan.service_start == date(2027, 1, 1) and plan.service_end == date(2027, 12, 31)
    assert [(i.seq, i.due_date, i.amount_minor) for i in plan.instalments] == [
        (1, date(2027, 1, 15), 60_000),
        (2, date(2027, 7, 15), 40_000),
    ]


def test_the_sum_must_equal_the_order_amount_and_the_error_names_instalments_with_the_difference():
    with pytest.raises(ValidationError) as short:
        deals.clean_order(_order(), 110_000)
    assert _fields(short.value) == {"instalments"}
    assert "difference 10000" in short.value.errors[0]["message"]
    with pytest.raises(ValidationError) as over:
        deals.clean_order(_order(), 90_000)
    assert "difference -10000" in over.value.errors[0]["message"]


def test_no_period_is_allowed_but_half_a_period_is_not():
    plan = deals.clean_order(_order(service_start=None, service_end=None), 100_000)
    assert plan.service_start is None and plan.service_end is None
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(_order(service_end=None), 100_000)
    assert _fields(caught.value) == {"service_end"}


def test_the_period_ends_after_it_starts():
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(_order(service_end="2027-01-01"), 100_000)
    assert _fields(caught.value) == {"service_end"}


@pytest.mark.parametrize(
    ("instalments", "field"),
    [
        ([], "instalments"),
        (None, "instalments"),
        ("x", "instalments"),
        ([{"due_date": "2027-01-15", "amount_minor": 0}], "instalments.0.amount_minor"),
        ([{"due_date": "2027-01-15", "amount_minor": -5}], "instalments.0.amount_minor"),
        ([{"due_date": "2027-01-15", "amount_minor": 10.5}], "instalments.0.amount_minor"),
        ([{"due_date": "2027-01-15", "amount_minor": True}], "instalments.0.amount_minor"),
        ([{"due_date": "15/01/2027", "amount_minor": 5}], "instalments.0.due_date"),
        ([{"amount_minor": 5}], "instalments.0.due_date"),
        ([{"due_date": "2027-01-15", "amount_minor": 5, "x": 1}], "instalments.0.x"),
        (["nope"], "instalments.0"),
        (
            [{"due_date": "2027-07-15", "amount_minor": 5}, {"due_date": "2027-01-15", "amount_minor": 5}],
            "instalments.1.due_date",
        ),
    ],
)
def test_bad_instalments_are_named(instalments, field):
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(_order(instalments=instalments))
    assert field in _fields(caught.value)


def test_too_many_instalments():
    many = [{"due_date": "2027-01-15", "amount_minor": 1}] * (deals.MAX_INSTALMENTS + 1)
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(_order(instalments=many))
    assert _fields(caught.value) == {"instalments"}


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(
            {
                "contract_id": "",
                "service_start": "x",
                "service_end": "2027-01-01",
                "extra": 1,
                "instalments": [],
            }
        )
    assert _fields(caught.value) == {"contract_id", "service_start", "instalments", "extra"}


def test_not_an_object():
    with pytest.raises(ValidationError) as caught:
        deals.clean_order(["x"])
    assert _fields(caught.value) == {"data"}
