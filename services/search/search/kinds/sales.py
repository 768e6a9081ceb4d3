"""Builders for the kinds the sales service publishes (see sales.contracts).

Every document carries its customer's name (the states do), the owner and team, the ACL from
``sales.policy.READ`` (the policy the service's ``get`` and list filters use) and its amounts as
``amount_terms`` (so "12345.00" or "¥12,345.00" finds the record). Numbers (Q-2026-000123,
contract and order numbers) are names: an exact number is an identity match.

A quote is one document per version: the event's aggregate is the version row (the document's
Elasticsearch id), while the document's ``id`` is the quote's, so the hit opens the quote; hits
carry ``version`` (n) and ``is_final``, and the final version outranks the others.
"""

from __future__ import annotations

from typing import Any

from sales import contracts
from sales.contracts.opportunities import STAGE_LABELS
from sales.policy import READ

from search import enrich
from search.fields import BOOLEAN, KEYWORD
from search.kinds import documents
from search.kinds.base import Boost, base_document, kind_specs, required, summary
from search.record import Record

# Multiplies the score of a quote's final version: above the versions it superseded (the same
# words, so nearly the same text score) and above other quotes that match about as well.
FINAL_QUOTE_BOOST = 3.0

QUOTE_STATUS_LABELS = {
    "draft": "草稿",
    "pending_approval": "待审批",
    "approved": "已批准",
    "rejected": "已驳回",
    "sent": "已发送",
}
CONTRACT_STATUS_LABELS = {
    "pending_review": "待审核",
    "signed": "已签署",
    "archived": "已归档",
    "rejected": "已驳回",
    "cancelled": "已取消",
}


def build_lead(record: Record) -> dict[str, Any]:
    d = record.data
    company = required(d, "company_name")
    contact = d.get("contact_name")
    phones = [d["phone"]] if isinstance(d.get("phone"), str) and d["phone"].strip() else []
    emails = [d["email"]] if isinstance(d.get("email"), str) and d["email"].strip() else []
    doc = base_document(
        record,
        title=company,
        # Before conversion the company is the prospective customer: searched and shown as such.
        customer_name=d.get("customer_name") or company,
        body=documents.text(contact, d.get("region"), d.get("notes")),
        status=d.get("status"),
        names=[company, *([contact] if contact else [])],
        owner_id=d.get("owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        summary_text=summary(d.get("grade") and f"{d['grade']}级", contact, phones, emails),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
    )
    whole_emails, email_locals = enrich.email_terms(emails)
    doc.update(
        phones=phones,
        phone_suffixes=enrich.phone_suffixes(phones),
        emails=whole_emails,
        email_locals=email_locals,
    )
    doc["orig"].update({key: value for key, value in (("phones", phones), ("emails", emails)) if value})
    documents.keywords(doc, d, "grade", "source", "region")
    if d.get("tax_id"):
        doc["tax_id"] = enrich.tax_id_key(d["tax_id"])
    return {key: value for key, value in doc.items() if value != []}


def build_opportunity(record: Record) -> dict[str, Any]:
    d = record.data
    title = required(d, "title")
    stage = required(d, "stage")
    money, amounts = documents.money(d.get("amount_minor"), d.get("currency"))
    label = STAGE_LABELS.get(stage, stage)
    doc = documents.common(
        record,
        READ,
        title=title,
        names=[title],
        body=documents.text(
            label, documents.amount_words(d.get("amount_minor"), d.get("currency")), d.get("notes")
        ),
        status=stage,
        summary_text=summary(
            label, money, d.get("expected_close_date") and f"预计 {d['expected_close_date']}"
        ),
        amount=d.get("amount_minor"),
        currency=d.get("currency"),
        due_at=d.get("expected_close_date"),
    )
    documents.keywords(doc, d, "stage", "lost_reason")
    return documents.with_amounts(doc, amounts)


def _quote_lines(d: dict[str, Any]) -> list[dict[str, Any]]:
    lines = d.get("lines") or []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise ValueError("data.lines must be a list of objects")
    return lines


def build_quote(record: Record) -> dict[str, Any]:
    d = record.data
    quote_id = required(d, "quote_id")
    number = required(d, "number")
    n = required(d, "version")
    if not isinstance(n, int) or isinstance(n, bool):
        raise ValueError("data.version must be the version number")
    currency = d.get("currency")
    lines = _quote_lines(d)
    total, amounts = documents.money(d.get("total_minor"), currency)
    for line in lines:
        for key in ("line_total_minor", "unit_price_minor"):
            amounts += documents.money(line.get(key), currency)[1]
    products = [str(line["product"]) for line in lines if line.get("product")]
    title = d.get("title") or number
    is_final = bool(d.get("is_final"))
    status = d.get("status")
    # What the PDF says when there is one (products, prices, totals, notes); else the same
    # words from the state.
    body = d.get("pdf_text") or documents.text(
        *products, documents.amount_words(d.get("total_minor"), currency), d.get("notes")
    )
    doc = documents.common(
        record,
        READ,
        title=f"{number} {title}" if title != number else number,
        names=[number, title],
        body=body,
        status=status,
        summary_text=summary(
            f"v{n}",
            "最终版" if is_final else QUOTE_STATUS_LABELS.get(str(status), status),
            total,
            d.get("valid_until") and f"有效期至 {d['valid_until']}",
        ),
        amount=d.get("total_minor"),
        currency=currency,
        due_at=d.get("valid_until"),
    )
    # The hit opens the quote (the version row is only the document's Elasticsearch id).
    doc.update(id=quote_id, version=n, is_final=is_final, quote_id=quote_id, number=number)
    documents.keywords(doc, d, "opportunity_id")
    return documents.with_amounts(doc, amounts)


def build_contract(record: Record) -> dict[str, Any]:
    d = record.data
    number = required(d, "number")
    title = d.get("title") or number
    money, amounts = documents.money(d.get("amount_minor"), d.get("currency"))
    status = d.get("status")
    doc = documents.common(
        record,
        READ,
        title=f"{number} {title}" if title != number else number,
        names=[number, title],
        body=documents.text(
            CONTRACT_STATUS_LABELS.get(str(status)),
            documents.amount_words(d.get("amount_minor"), d.get("currency")),
            d.get("notes"),
        ),
        status=status,
        summary_text=summary(CONTRACT_STATUS_LABELS.get(str(status), status), money),
        amount=d.get("amount_minor"),
        currency=d.get("currency"),
    )
    doc["number"] = number
    documents.keywords(doc, d, "quote_id", "quote_version", "opportunity_id")
    return documents.with_amounts(doc, amounts)


def build_order(record: Record) -> dict[str, Any]:
    d = record.data
    number = required(d, "number")
    money, amounts = documents.money(d.get("amount_minor"), d.get("currency"))
    instalments = d.get("instalments") or []
    for instalment in instalments if isinstance(instalments, list) else []:
        if isinstance(instalment, dict):
            amounts += documents.money(instalment.get("amount_minor"), d.get("currency"))[1]
    period = (
        f"{d['service_start']} – {d['service_end']}"
        if d.get("service_start") and d.get("service_end")
        else None
    )
    title = d.get("title")
    doc = documents.common(
        record,
        READ,
        title=f"{number} {title}" if title else number,
        names=[number, *([title] if title else [])],
        body=documents.text(
            documents.amount_words(d.get("amount_minor"), d.get("currency")), period, d.get("notes")
        ),
        status=d.get("status"),
        summary_text=summary(money, period),
        amount=d.get("amount_minor"),
        currency=d.get("currency"),
        due_at=d.get("service_end"),
    )
    doc["number"] = number
    documents.keywords(doc, d, "contract_id", "opportunity_id")
    return documents.with_amounts(doc, amounts)


KINDS = kind_specs(
    contracts.SERVICE,
    contracts.SEARCH_KINDS,
    {
        "lead": (build_lead, {"grade": KEYWORD, "source": KEYWORD, "region": KEYWORD}),
        "opportunity": (build_opportunity, {"stage": KEYWORD, "lost_reason": KEYWORD}),
        "quote": (
            build_quote,
            {
                "quote_id": KEYWORD,
                "number": KEYWORD,
                "is_final": BOOLEAN,
                "opportunity_id": KEYWORD,
            },
        ),
        "contract": (
            build_contract,
            {
                "number": KEYWORD,
                "quote_id": KEYWORD,
                "quote_version": {"type": "integer"},
                "opportunity_id": KEYWORD,
            },
        ),
        "order": (
            build_order,
            {"number": KEYWORD, "contract_id": KEYWORD, "opportunity_id": KEYWORD},
        ),
    },
    hit_fields={"quote": ("version", "is_final")},
    boosts={"quote": (Boost("is_final", True, FINAL_QUOTE_BOOST),)},
)
