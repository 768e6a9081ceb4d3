"""The payment document: the ACL of finance.policy (finance and the customer's owner, never
support), and a payment found by its number, its bank reference and its payer's name."""

from __future__ import annotations

from finance.contracts.payments import Payment
from finance.policy import READ
from kernel.ids import new_id
from sales_states import owned, record
from search import enrich
from search.display import FIELDS as SHOWN_FIELDS
from search.documents import to_index_op
from search.mapping import PROPERTIES
from search.results import shape_search


def _payment(**extra: object) -> dict[str, object]:
    return Payment.model_validate(
        {**owned("A科技有限公司", "u-s1", "team-east"), "id": new_id(), "version": 3,
         "number": "PAY-2026-000042", "received_on": "2026-12-01", "currency": "CNY",
         "amount_minor": 18_000_050, "allocated_minor": 12_000_000, "refunded_minor": 0,
         "unallocated_minor": 6_000_050, "payer": "深圳A科技有限公司", "reference": "HX20261201-778",
         "source": "bank_import", "created_by": "u-finance", **extra}
    ).model_dump(mode="json")  # fmt: skip


def test_a_payment_is_visible_to_finance_and_the_customer_owner_only() -> None:
    data = _payment()
    doc = to_index_op(record("payment", data)).source
    assert doc["acl"] == READ["payment"].principals(data)
    assert {"role:finance", "user:u-s1"} <= set(doc["acl"])
    assert not {"role:support", "role:sales"} & set(doc["acl"])
    assert set(doc) <= set(PROPERTIES)  # the strict mapping takes it
    assert doc["customer_name"] == "A科技有限公司" and doc["status"] == "bank_import"


def test_a_payment_is_found_by_its_number_reference_and_payer() -> None:
    doc = to_index_op(record("payment", _payment())).source
    for typed in ("PAY-2026-000042", "pay2026000042", "HX20261201-778", "深圳A科技有限公司"):
        # the query's identity clause: any key of what was typed among the document's name keys
        assert set(enrich.name_keys([typed])) & set(doc["name_key"]), typed
    assert "深圳A科技有限公司" in doc["body"] and "HX20261201-778" in doc["body"]
    assert "180000.5" in doc["amount_terms"]  # ¥180,000.50 typed as an amount
    assert doc["number"] == "PAY-2026-000042" and doc["received_on"] == "2026-12-01"


def test_a_payment_hit_carries_its_number_and_day() -> None:
    doc = to_index_op(record("payment", _payment())).source
    hit = {"_source": {k: doc.get(k) for k in SHOWN_FIELDS if k in doc}, "_score": 1.0, "sort": [1]}
    item = shape_search({"hits": {"total": {"value": 1}, "hits": [hit]}}, 5)["items"][0]
    assert (item["kind"], item["number"], item["received_on"]) == ("payment", "PAY-2026-000042", "2026-12-01")


def test_a_void_payment_says_so() -> None:
    doc = to_index_op(record("payment", _payment(status="voided", void_reason="录错客户"))).source
    assert doc["status"] == "voided" and "已作废" in doc["orig"]["summary"]
