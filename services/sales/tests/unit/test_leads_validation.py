"""A lead's input is checked field by field, every problem named at once."""

from __future__ import annotations

import pytest
from kernel.errors import ValidationError
from sales.domain import leads as rules


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_a_good_lead_is_cleaned_and_gets_its_defaults():
    values = rules.clean_create(
        {"company_name": "  A科技有限公司 ", "email": "Li@Example.COM", "phone": "138 0013 8000", "score": 85}
    )
    assert values["company_name"] == "A科技有限公司"
    assert values["email"] == "Li@example.com"
    assert values["source"] == "other"
    assert values["grade"] == "A"  # from the score


@pytest.mark.parametrize(("score", "grade"), [(None, "B"), (0, "C"), (49, "C"), (50, "B"), (80, "A")])
def test_grade_from_score(score, grade):
    assert rules.grade_for(score) == grade


def test_every_bad_field_is_named():
    with pytest.raises(ValidationError) as exc:
        rules.clean_create(
            {
                "company_name": "",
                "email": "not-an-email",
                "phone": "call me",
                "grade": "D",
                "source": "fax",
                "score": 101,
                "tax_id": "91110000000000000X",
                "colour": "red",
            }
        )
    assert fields_of(exc) == {
        "company_name",
        "email",
        "phone",
        "grade",
        "source",
        "score",
        "tax_id",
        "colour",
    }


def test_limits_and_types():
    with pytest.raises(ValidationError) as exc:
        rules.clean_create({"company_name": "x" * 201, "score": True, "notes": 5})
    assert fields_of(exc) == {"company_name", "score", "notes"}
    with pytest.raises(ValidationError) as exc:
        rules.clean_create(["not", "an", "object"])
    assert fields_of(exc) == {"data"}
    with pytest.raises(ValidationError) as exc:
        rules.clean_create({"company_name": "A公司", "owner_id": "u-1", "assign": "pool"})
    assert fields_of(exc) == {"assign"}


def test_an_update_needs_a_change_and_cannot_empty_required_fields():
    with pytest.raises(ValidationError) as exc:
        rules.clean_update({})
    assert fields_of(exc) == {"changes"}
    with pytest.raises(ValidationError) as exc:
        rules.clean_update({"grade": None})
    assert fields_of(exc) == {"grade"}
    with pytest.raises(ValidationError) as exc:
        rules.clean_update({"owner_id": "u-x"})  # ownership moves by claim/assign/release only
    assert fields_of(exc) == {"owner_id"}


@pytest.mark.parametrize(
    ("name", "registered"),
    [
        ("A科技有限公司", True),
        ("A科技集团", True),
        ("Acme Co., Ltd.", True),
        ("A科技", False),
        ("有限公司", False),
    ],
)
def test_registered_company_names(name, registered):
    assert rules.is_registered_name(name) is registered


def test_conversion_needs_a_registered_name_or_a_tax_id():
    rules.conversion_identity("A科技有限公司", None)
    rules.conversion_identity("A科技", "91110108MA01ABCD1E")  # a tax id is enough
    with pytest.raises(ValidationError) as exc:
        rules.conversion_identity("A科技", None)
    assert fields_of(exc) == {"company_name", "tax_id"}


def test_the_conversion_note_carries_the_notes_and_fits_the_limit():
    lead = {"id": "l1", "company_name": "A科技有限公司", "source": "event", "grade": "A", "notes": "展会认识"}
    notes = [{"at": "2026-12-01T10:00:00Z", "author_id": "u-sales1", "note": "约了演示"}]
    text = rules.conversion_note(lead, notes, limit=10_000)
    assert "展会认识" in text and "约了演示" in text and "A科技有限公司" in text
    assert len(rules.conversion_note({**lead, "notes": "长" * 20_000}, notes, limit=10_000)) == 10_000
