"""Validation of an opportunity's fields (pure): every problem named by its field."""

from __future__ import annotations

from datetime import date

import pytest
from kernel.errors import ValidationError
from sales.domain.opportunities import clean_create, clean_probabilities, clean_update


def _fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_a_minimal_create_gets_the_defaults():
    values = clean_create({"customer_id": "c1", "title": "  CRM 二期 "})
    assert values["title"] == "CRM 二期"
    assert values["amount_minor"] == 0 and values["currency"] == "CNY"
    assert values["expected_close_date"] is None and values["owner_id"] is None


def test_create_parses_the_date_and_upper_cases_the_currency():
    values = clean_create(
        {
            "customer_id": "c1",
            "title": "t",
            "amount_minor": 1200000,
            "currency": "usd",
            "expected_close_date": "2026-12-31",
        }
    )
    assert values["currency"] == "USD" and values["expected_close_date"] == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"title": "t"}, {"customer_id"}),
        ({"customer_id": "c1", "title": "  "}, {"title"}),
        ({"customer_id": "c1", "title": "x" * 201}, {"title"}),
        ({"customer_id": "c1", "title": "t", "amount_minor": -1}, {"amount_minor"}),
        ({"customer_id": "c1", "title": "t", "amount_minor": 12.5}, {"amount_minor"}),
        ({"customer_id": "c1", "title": "t", "amount_minor": True}, {"amount_minor"}),
        ({"customer_id": "c1", "title": "t", "amount_minor": "100"}, {"amount_minor"}),
        ({"customer_id": "c1", "title": "t", "currency": "RMB1"}, {"currency"}),
        ({"customer_id": "c1", "title": "t", "expected_close_date": "31/12/2026"}, {"expected_close_date"}),
        ({"customer_id": "c1", "title": "t", "stage": "won"}, {"stage"}),
        ({"customer_id": "c1", "title": "t", "colour": "red"}, {"colour"}),
        ({}, {"customer_id", "title"}),
    ],
)
def test_bad_create_input_names_every_field(data, fields):
    with pytest.raises(ValidationError) as exc:
        clean_create(data)
    assert _fields(exc) == fields


def test_update_takes_only_what_is_given_and_never_the_stage():
    assert clean_update({"amount_minor": 5, "expected_close_date": None}) == {
        "amount_minor": 5,
        "expected_close_date": None,
    }
    with pytest.raises(ValidationError) as exc:
        clean_update({"stage": "won", "customer_id": "c2", "title": ""})
    assert _fields(exc) == {"stage", "customer_id", "title"}
    with pytest.raises(ValidationError):
        clean_update(["not", "a", "mapping"])


def test_probabilities_are_whole_percents_of_open_stages():
    open_stages = ("qualification", "demo")
    assert clean_probabilities({"demo": 25}, open_stages) == {"demo": 25}
    with pytest.raises(ValidationError) as exc:
        clean_probabilities({"demo": 101, "won": 90, "qualification": 1.5}, open_stages)
    assert _fields(exc) == {"probabilities.demo", "probabilities.won", "probabilities.qualification"}
    with pytest.raises(ValidationError):
        clean_probabilities({}, open_stages)
