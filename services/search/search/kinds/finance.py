"""Builders for the kinds the finance service publishes (see finance.contracts).

Every document carries its customer's name, the owner and team, the ACL from
``finance.policy.READ`` (the policy the service's ``get`` and list filters use) and its amounts
as ``amount_terms``. Numbers (PAY-2026-000001, INV-…, the order's SO-…) are names: an exact
number is an identity match. A receivable's hit carries what finance looks at first: what is
still open, when it was due and how late it is.
"""

from __future__ import annotations

from typing import Any

from finance import contracts
from finance.policy import READ

from search.fields import KEYWORD
from search.kinds import documents
from search.kinds.base import kind_specs, required, summary
from search.record import Record

RECEIVABLE_STATUS_LABELS = {
    "open": "待收",
    "partially_paid": "部分回款",
    "paid": "已回款",
    "written_off": "已核销",
    "cancelled": "已取消",
}


def build_receivable(record: Record) -> dict[str, Any]:
    d = record.data
    seq = required(d, "seq")
    order_number = d.get("order_number") or ""
    currency = d.get("currency")
    outstanding, amounts = documents.money(d.get("outstanding_minor"), currency)
    billed, billed_amounts = documents.money(d.get("amount_minor"), currency)
    status = d.get("status")
    bucket = d.get("overdue_bucket")
    title = f"{order_number} 第{seq}期应收".strip()
    doc = documents.common(
        record,
        READ,
        title=title,
        names=[n for n in (order_number,) if n],
        body=documents.text(
            RECEIVABLE_STATUS_LABELS.get(str(status)),
            documents.amount_words(d.get("amount_minor"), currency),
            documents.amount_words(d.get("outstanding_minor"), currency),
        ),
        status=status,
        summary_text=summary(
            outstanding and f"待收 {outstanding}",
            billed and f"应收 {billed}",
            d.get("due_date") and f"到期 {d['due_date']}",
            bucket and f"逾期 {bucket} 天",
        ),
        amount=d.get("outstanding_minor"),
        currency=currency,
        due_at=d.get("due_date"),
    )
    doc.update(
        outstanding_minor=d.get("outstanding_minor"),
        due_date=d.get("due_date"),
        overdue_bucket=bucket,
    )
    documents.keywords(doc, d, "order_id", "order_number")
    return documents.with_amounts(doc, [*amounts, *billed_amounts])


def build_payment(record: Record) -> dict[str, Any]:
    d = record.data
    number = required(d, "number")
    currency = d.get("currency")
    money, amounts = documents.money(d.get("amount_minor"), currency)
    payer, reference = d.get("payer"), d.get("reference")
    doc = documents.common(
        record,
        READ,
        title=f"{number} 回款 {money}" if money else number,
        names=[n for n in (number, reference, payer) if n],
        body=documents.text(
            documents.amount_words(d.get("amount_minor"), currency), payer, reference, d.get("note")
        ),
        status="voided" if d.get("status") == "voided" else d.get("source"),
        summary_text=summary(
            money,
            d.get("received_on") and f"到账 {d['received_on']}",
            payer,
            d.get("status") == "voided" and "已作废",
        ),
        amount=d.get("amount_minor"),
        currency=currency,
        due_at=d.get("received_on"),
    )
    doc.update(number=number, received_on=d.get("received_on"))
    return documents.with_amounts(doc, amounts)


KINDS = kind_specs(
    contracts.SERVICE,
    contracts.SEARCH_KINDS,
    {
        "receivable": (
            build_receivable,
            {
                "order_id": KEYWORD,
                "order_number": KEYWORD,
                "overdue_bucket": KEYWORD,
                "outstanding_minor": {"type": "long"},
                "due_date": {"type": "date"},
            },
        ),
        "payment": (build_payment, {"number": KEYWORD, "received_on": {"type": "date"}}),
    },
    hit_fields={
        "receivable": ("outstanding_minor", "due_date", "overdue_bucket"),
        "payment": ("number", "received_on"),
    },
)
