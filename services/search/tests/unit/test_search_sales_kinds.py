"""The sales kinds' documents: customer name, ACL from sales.policy, numbers, amounts, versions."""

from __future__ import annotations

from typing import Any

import pytest
from kernel.ids import new_id
from sales.contracts.deals import Contract, Order
from sales.contracts.leads import Lead
from sales.contracts.opportunities import Opportunity
from sales.policy import READ
from sales_states import owned, quote_record, quote_version, record
from search.display import FIELDS as SHOWN_FIELDS
from search.documents import to_index_op
from search.kinds import REGISTRY
from search.mapping import PROPERTIES
from search.results import shape_search

BASE = owned("A科技有限公司", "u-s1", "team-east")


def quote(n: int = 2, **kwargs: Any) -> dict[str, Any]:
    return quote_version(
        BASE,
        n,
        quote_id=kwargs.pop("quote_id", "q-1"),
        number="Q-2026-000123",
        lines=[("企业微信客服坐席", 10, 123_450), ("全渠道工单系统 专业版", 1, 1_000_000)],
        **kwargs,
    )


def test_a_quote_version_is_its_own_document_that_names_the_quote() -> None:
    data = quote(is_final=True, revision=4)
    op = to_index_op(quote_record(data))
    doc = op.source
    assert op.doc_id == f"quote:{data['version_id']}" and op.version == 4  # per version row
    assert doc["id"] == "q-1" and doc["quote_id"] == "q-1"
    assert doc["version"] == 2 and doc["is_final"] is True
    assert doc["customer_name"] == "A科技有限公司" and doc["number"] == "Q-2026-000123"
    assert "q2026000123" in doc["name_key"]  # the number is an exact identity
    assert doc["acl"] == READ["quote"].principals(data)
    assert {"user:u-s1", "team:team-east", "role:finance"} <= set(doc["acl"])
    assert "企业微信客服坐席" in doc["body"] and "¥22,345.00" in doc["body"] and "22345.00" in doc["body"]
    # total 2,234,500 fen = 22345; unit prices 1234.5 and 10000
    assert {"22345", "1234.5", "10000", "12345"} <= set(doc["amount_terms"])
    assert doc["amount"] == 2_234_500 and doc["currency"] == "CNY" and doc["due_at"] == "2026-12-31"
    assert set(doc) <= set(PROPERTIES)  # the strict mapping takes it


def test_the_pdf_text_is_the_body_when_there_is_one() -> None:
    doc = to_index_op(quote_record(quote(pdf_text="报价单 Quotation\n定制开发服务 ¥88,000.00"))).source
    assert "定制开发服务" in doc["body"]


def test_a_quote_hit_carries_the_quote_id_version_and_is_final() -> None:
    assert {"version", "is_final"} <= set(SHOWN_FIELDS)
    doc = to_index_op(quote_record(quote(n=3, is_final=True))).source
    hit = {"_source": {k: doc.get(k) for k in SHOWN_FIELDS if k in doc}, "_score": 1.0, "sort": [1]}
    item = shape_search({"hits": {"total": {"value": 1}, "hits": [hit]}}, 5)["items"][0]
    assert (item["kind"], item["id"], item["version"], item["is_final"]) == ("quote", "q-1", 3, True)
    assert REGISTRY["customer"].hit_fields == ()  # other kinds' hits keep their shape


def test_leads_opportunities_contracts_and_orders() -> None:
    lead = Lead.model_validate(
        {**owned("B贸易有限公司", "u-s1", "team-east"), "id": new_id(), "version": 1,
         "company_name": "B贸易有限公司", "status": "assigned", "grade": "A", "source": "web_form",
         "contact_name": "王芳", "phone": "139 1234 5678", "email": "wang@b.example.com"}
    ).model_dump(mode="json")  # fmt: skip
    doc = to_index_op(record("lead", lead)).source
    assert (doc["grade"], doc["source"], doc["customer_name"]) == ("A", "web_form", "B贸易有限公司")
    assert "5678" in doc["phone_suffixes"] and doc["emails"] == ["wang@b.example.com"]
    assert doc["acl"] == READ["lead"].principals(lead)

    pooled = {**lead, "status": "pooled", "owner_id": None, "team_id": None, "customer_owner_id": None,
              "customer_name": None}  # fmt: skip
    doc = to_index_op(record("lead", pooled)).source
    assert doc["acl"] == ["role:sales"] and doc["customer_name"] == "B贸易有限公司"

    opp = Opportunity.model_validate(
        {**BASE, "id": new_id(), "version": 2, "title": "A科技 CRM 项目", "stage": "negotiation",
         "amount_minor": 50_000_000, "currency": "CNY", "expected_close_date": "2027-01-31"}
    ).model_dump(mode="json")  # fmt: skip
    doc = to_index_op(record("opportunity", opp)).source
    assert doc["stage"] == "negotiation" and "商务谈判" in doc["body"] and doc["amount_terms"] == ["500000"]
    assert doc["due_at"] == "2027-01-31"

    contract = Contract.model_validate(
        {**BASE, "id": new_id(), "version": 1, "number": "C-2026-000045", "quote_id": "q-1",
         "quote_version": 2, "status": "signed", "amount_minor": 2_234_500, "currency": "CNY"}
    ).model_dump(mode="json")  # fmt: skip
    doc = to_index_op(record("contract", contract)).source
    assert doc["number"] == "C-2026-000045" and "c2026000045" in doc["name_key"]
    assert doc["quote_version"] == 2 and "role:finance" in doc["acl"] and doc["status"] == "signed"

    order = Order.model_validate(
        {**BASE, "id": new_id(), "version": 1, "number": "SO-2026-000012", "contract_id": "c-1",
         "opportunity_id": "o-1", "status": "placed", "amount_minor": 2_234_500, "currency": "CNY",
         "instalments": [{"seq": 1, "due_date": "2027-01-31", "amount_minor": 1_117_250}],
         "service_start": "2027-01-01", "service_end": "2027-12-31"}
    ).model_dump(mode="json")  # fmt: skip
    doc = to_index_op(record("order", order)).source
    assert doc["number"] == "SO-2026-000012" and {"22345", "11172.5"} <= set(doc["amount_terms"])
    for kind, data in (("opportunity", opp), ("contract", contract), ("order", order)):
        assert to_index_op(record(kind, data)).source["customer_name"] == "A科技有限公司"


@pytest.mark.parametrize("missing", ["quote_id", "number"])
def test_a_quote_state_without_its_identity_is_refused(missing: str) -> None:
    data = {k: v for k, v in quote().items() if k != missing}
    with pytest.raises(ValueError, match=missing):
        to_index_op(quote_record(data))
