import pytest
from customers.domain import inputs
from customers.domain.fields import uscc_is_valid
from kernel.errors import ValidationError

VALID_USCC = "91350100M000100Y43"


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_uscc_check_character():
    assert uscc_is_valid(VALID_USCC)
    assert not uscc_is_valid(VALID_USCC[:-1] + "X")
    assert not uscc_is_valid("91350100M000100Y4")  # 17 chars
    assert not uscc_is_valid("91350100M000100YI3")  # I is not in the alphabet


def test_customer_create_fills_defaults_and_normalises():
    data = inputs.clean_customer(
        {
            "name": "  A科技有限公司 ",
            "tax_id": VALID_USCC.lower(),
            "tags": ["VIP", "VIP", " 制造 "],
            "owner_id": "u1",
        }
    )
    assert data["name"] == "A科技有限公司"
    assert data["tax_id"] == VALID_USCC
    assert data["tags"] == ["VIP", "制造"]
    assert data["status"] == "prospect"
    assert data["value_tier"] == "normal"


def test_customer_create_reports_every_bad_field_at_once():
    with pytest.raises(ValidationError) as exc:
        inputs.clean_customer(
            {"name": "", "tax_id": "123", "status": "gone", "tags": "x", "owner_id": "u1", "colour": "red"}
        )
    assert fields_of(exc) == {"name", "tax_id", "status", "tags", "colour"}


def test_oversize_and_wrong_types_are_named():
    with pytest.raises(ValidationError) as exc:
        inputs.clean_customer({"name": "x" * 201, "owner_id": 5, "size": "huge"})
    assert fields_of(exc) == {"name", "owner_id", "size"}


def test_update_is_partial_and_owner_is_immutable():
    assert inputs.clean_customer({"status": "active"}, partial=True) == {"status": "active"}
    with pytest.raises(ValidationError) as exc:
        inputs.clean_customer({"owner_id": "u2"}, partial=True)
    assert fields_of(exc) == {"owner_id"}
    with pytest.raises(ValidationError):
        inputs.clean_customer({}, partial=True)


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138-1234-5678", "(021) 6234 5678", "010-12345678 转 8021"]
)
def test_phones_accepted(phone):
    assert inputs.clean_contact({"name": "王敏", "phones": [phone]})["phones"] == [phone]


@pytest.mark.parametrize("phone", ["call me", "123", "138123456789012345678901", "1381234567a"])
def test_phones_rejected(phone):
    with pytest.raises(ValidationError) as exc:
        inputs.clean_contact({"name": "王敏", "phones": [phone]})
    assert fields_of(exc) == {"phones"}


def test_emails_validated_and_domain_lowercased():
    assert inputs.clean_contact({"name": "Li", "emails": ["Li.Wei@Example.COM"]})["emails"] == [
        "Li.Wei@example.com"
    ]
    with pytest.raises(ValidationError) as exc:
        inputs.clean_contact({"name": "Li", "emails": ["not-an-email"]})
    assert fields_of(exc) == {"emails"}


def test_follow_up_needs_channel_content_and_aware_time():
    with pytest.raises(ValidationError) as exc:
        inputs.clean_follow_up({"channel": "fax", "content": "", "occurred_at": "2026-11-20T10:00:00"})
    assert fields_of(exc) == {"channel", "content", "occurred_at"}
    ok = inputs.clean_follow_up(
        {"channel": "call", "content": "报价沟通", "occurred_at": "2026-11-20T10:00:00+08:00"}
    )
    assert ok["occurred_at"].utcoffset().total_seconds() == 0


def test_payload_must_be_an_object():
    with pytest.raises(ValidationError) as exc:
        inputs.clean_task(["not", "a", "dict"])
    assert fields_of(exc) == {"data"}
