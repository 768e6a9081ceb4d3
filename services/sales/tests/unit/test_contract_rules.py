"""Contract status rules: which action moves which status, and the special-price approval."""

from __future__ import annotations

import pytest
from kernel.errors import Conflict, ValidationError
from sales.domain import deals


@pytest.mark.parametrize(
    ("action", "status", "after"),
    [
        ("sign", "pending_review", "signed"),
        ("archive", "signed", "archived"),
        ("reject", "pending_review", "rejected"),
        ("cancel", "pending_review", "cancelled"),
        ("cancel", "signed", "cancelled"),
        ("approve", "pending_review", "pending_review"),
    ],
)
def test_allowed_moves(action, status, after):
    assert deals.contract_move(action, status) == after


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("sign", "signed"),
        ("sign", "rejected"),
        ("sign", "cancelled"),
        ("archive", "pending_review"),
        ("archive", "archived"),
        ("reject", "signed"),
        ("cancel", "archived"),
        ("cancel", "rejected"),
        ("approve", "signed"),
    ],
)
def test_refused_moves_name_the_status(action, status):
    with pytest.raises(Conflict) as caught:
        deals.contract_move(action, status)
    assert caught.value.errors[0]["field"] == "status"


def test_a_special_price_is_signed_only_once_approved():
    with pytest.raises(Conflict) as caught:
        deals.check_can_sign(True, None)
    assert caught.value.errors[0]["field"] == "approval"
    deals.check_can_sign(True, "2026-12-02T06:00:00Z")
    deals.check_can_sign(False, None)


def test_only_an_unapproved_special_price_is_approvable():
    with pytest.raises(Conflict) as caught:
        deals.check_approvable(False, None)
    assert caught.value.errors[0]["field"] == "special_price"
    with pytest.raises(Conflict):
        deals.check_approvable(True, "2026-12-02T06:00:00Z")
    deals.check_approvable(True, None)


def test_approval_status():
    assert deals.approval_status(False, "signed", None) == "not_required"
    assert deals.approval_status(True, "pending_review", None) == "pending"
    assert deals.approval_status(True, "pending_review", "x") == "approved"
    assert deals.approval_status(True, "rejected", None) == "rejected"


@pytest.mark.parametrize(
    ("final", "status", "ok"),
    [
        (2, "approved", True),
        (2, "sent", True),
        (2, "pending_approval", False),
        (2, "draft", False),
        (2, "rejected", False),
        (1, "approved", False),
        (None, "approved", False),
    ],
)
def test_a_contract_needs_the_final_approved_or_sent_version(final, status, ok):
    if ok:
        deals.check_quote_version(version=2, final_version=final, status=status)
        return
    with pytest.raises(Conflict) as caught:
        deals.check_quote_version(version=2, final_version=final, status=status)
    assert caught.value.errors[0]["field"] == "version"


def test_comments():
    with pytest.raises(ValidationError) as caught:
        deals.clean_comment("  ", "comment", required=True)
    assert caught.value.errors[0]["field"] == "comment"
    assert deals.clean_comment(None, "reason", required=False) is None
    assert deals.clean_comment(" 价格太低 ", "comment", required=True) == "价格太低"
    with pytest.raises(ValidationError):
        deals.clean_comment(3, "comment", required=False)
    with pytest.raises(ValidationError):
        deals.clean_comment("x" * 2001, "comment", required=False)
