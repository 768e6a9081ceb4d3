"""A quote version's status rules, the auto-approval threshold and the request body checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from kernel.errors import Conflict, ValidationError
from sales.domain import quotes as rules

TODAY = date(2026, 12, 2)
LINE = {"product": "旗舰版", "quantity": 1, "unit_price_minor": 100}


@pytest.mark.parametrize(
    ("action", "ok", "refused"),
    [
        ("submit", ["draft"], ["pending_approval", "approved", "rejected", "sent"]),
        ("edit", ["draft"], ["pending_approval", "approved", "rejected", "sent"]),
        ("approve", ["pending_approval"], ["draft", "approved", "rejected", "sent"]),
        ("reject", ["pending_approval"], ["draft", "approved", "rejected", "sent"]),
        ("send", ["approved"], ["draft", "pending_approval", "rejected", "sent"]),
        ("mark_final", ["approved", "sent"], ["draft", "pending_approval", "rejected"]),
    ],
)
def test_each_move_starts_only_from_its_statuses(action, ok, refused):
    for status in ok:
        rules.require_status(action, status, n=1)
    for status in refused:
        with pytest.raises(Conflict):
            rules.require_status(action, status, n=1)


def test_the_threshold_itself_still_approves_automatically():
    threshold = Decimal("10")
    assert rules.submission(Decimal("10.00"), threshold).status == "approved"
    assert rules.submission(Decimal("10.00"), threshold).auto_approved
    assert rules.submission(Decimal("0"), threshold).status == "approved"
    above = rules.submission(Decimal("10.01"), threshold)
    assert above.status == "pending_approval" and above.needs_approval and not above.auto_approved


def test_a_rejection_needs_a_comment_an_approval_does_not():
    with pytest.raises(ValidationError) as exc:
        rules.clean_comment("   ", required=True)
    assert exc.value.errors[0]["field"] == "comment"
    assert rules.clean_comment(None, required=False) is None
    assert rules.clean_comment(" 价格太低 ", required=True) == "价格太低"
    with pytest.raises(ValidationError):
        rules.clean_comment("x" * 2001, required=False)


def test_body_is_checked_field_by_field():
    body = rules.clean_body({"valid_until": "2026-12-31", "lines": [LINE], "notes": " 含税 "}, today=TODAY)
    assert body.currency == "CNY" and body.valid_until == date(2026, 12, 31) and body.notes == "含税"
    with pytest.raises(ValidationError) as exc:
        rules.clean_body(
            {"currency": "rmb", "valid_until": "2026-12-01", "lines": [{**LINE, "quantity": 0}], "x": 1},
            today=TODAY,
        )
    assert {e["field"] for e in exc.value.errors} == {"currency", "valid_until", "lines[0].quantity", "x"}
    with pytest.raises(ValidationError) as exc:
        rules.clean_body({"valid_until": "31/12/2026", "lines": [LINE]}, today=TODAY)
    assert {e["field"] for e in exc.value.errors} == {"valid_until"}


def test_expiry_window():
    assert rules.expiry_due(date(2026, 12, 5), TODAY, 3)
    assert rules.expiry_due(TODAY, TODAY, 3)
    assert not rules.expiry_due(date(2026, 12, 6), TODAY, 3)
    assert not rules.expiry_due(date(2026, 12, 1), TODAY, 3)
