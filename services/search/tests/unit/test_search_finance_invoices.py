"""The invoice and write-off documents: the number as an identity, customer and title, amounts
(tax included and the tax), status, the ACL from finance.policy."""

from __future__ import annotations

from typing import Any

from finance.contracts.invoices import Invoice
from finance.contracts.write_offs import WriteOff
from finance.policy import READ
from kernel.ids import new_id
from sales_states import owned, record
from search.documents import to_index_op
from search.mapping import PROPERTIES

BASE = owned("A科技有限公司", "u-s1", "team-east")


def invoice(**overrides: Any) -> dict[str, Any]:
    data = {
        **BASE,
        "id": new_id(),
        "number": "INV-2026-000042",
        "title": "A科技有限公司",
        "tax_id": "91310000MA1K000000",
        "currency": "CNY",
        "amount_minor": 11_300_000,
        "tax_rate": "0.13",
        "tax_minor": 1_300_000,
        "net_minor": 10_000_000,
        "status": "issued",
        "status_label": "已开具",
        "issued_on": "2026-12-02",
        "created_by": "u-fin",
        "version": 2,
        **overrides,
    }
    return Invoice.model_validate(data).model_dump(mode="json")


def test_an_invoice_is_found_by_number_customer_amount_and_tax() -> None:
    data = invoice()
    op = to_index_op(record("invoice", data))
    doc = op.source
    assert op.doc_id == f"invoice:{data['id']}" and op.version == 2
    assert doc["number"] == "INV-2026-000042" and "inv2026000042" in doc["name_key"]
    assert doc["customer_name"] == "A科技有限公司" and doc["status"] == "issued"
    assert doc["title"].startswith("发票 INV-2026-000042")
    assert {"113000", "13000"} <= set(doc["amount_terms"])
    assert "¥113,000.00" in doc["body"] and "已开具" in doc["body"]
    assert doc["acl"] == READ["invoice"].principals(data)
    assert {"user:u-s1", "team:team-east", "role:finance"} <= set(doc["acl"])
    assert "role:support" not in doc["acl"]
    assert doc["due_at"] == "2026-12-02" and set(doc) <= set(PROPERTIES)


def test_a_draft_has_no_number_yet_but_is_still_a_document() -> None:
    doc = to_index_op(record("invoice", invoice(number=None, status="draft", issued_on=None))).source
    assert "number" not in doc and doc["status"] == "draft" and "草稿" in doc["title"]
    assert set(doc) <= set(PROPERTIES)


def test_a_write_off_is_a_finance_document_on_its_receivable() -> None:
    data = WriteOff.model_validate(
        {
            **BASE,
            "id": new_id(),
            "receivable_id": "r1",
            "order_number": "SO-2026-000001",
            "seq": 2,
            "currency": "CNY",
            "amount_minor": 50_000,
            "reason": "客户破产清算",
            "status": "approved",
            "requested_by": "u-fin",
            "requested_at": "2026-12-01T08:00:00+00:00",
            "version": 2,
        }
    ).model_dump(mode="json")
    doc = to_index_op(record("write_off", data)).source
    assert doc["receivable_id"] == "r1" and "SO-2026-000001 第2期" in doc["title"]
    assert "客户破产清算" in doc["body"] and "500" in doc["amount_terms"]
    assert doc["acl"] == READ["write_off"].principals(data) and set(doc) <= set(PROPERTIES)
