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


INVOICE_STATUS_LABELS = {"draft": "草稿", "issued": "已开具", "paid": "已付款", "void": "已作废"}
WRITE_OFF_STATUS_LABELS = {"requested": "待审批", "approved": "已核销", "rejected": "已驳回"}


def build_invoice(record: Record) -> dict[str, Any]:
    d = record.data
    number = d.get("number")  # None while a draft
    currency = d.get("currency")
    money, amounts = documents.money(d.get("amount_minor"), currency)
    tax, tax_amounts = documents.money(d.get("tax_minor"), currency)
    title, status = d.get("title"), d.get("status")
    label = INVOICE_STATUS_LABELS.get(str(status))
    doc = documents.common(
        record,
        READ,
        title=f"发票 {number or '草稿'} {title or ''}".strip(),
        names=[n for n in (number, title, d.get("tax_id")) if n],
        body=documents.text(
            label,
            documents.amount_words(d.get("amount_minor"), currency),
            documents.amount_words(d.get("tax_minor"), currency),
            d.get("tax_rate") and f"税率 {d['tax_rate']}",
            d.get("void_reason"),
        ),
        status=status,
        summary_text=summary(
            money and f"含税 {money}",
            tax and f"税额 {tax}",
            label,
            d.get("issued_on") and f"开票 {d['issued_on']}",
        ),
        amount=d.get("amount_minor"),
        currency=currency,
        due_at=d.get("issued_on"),
    )
    doc.update(issued_on=d.get("issued_on"))
    documents.keywords(doc, d, "number", "order_id", "receivable_id")
    return documents.with_amounts(doc, [*amounts, *tax_amounts])


def build_write_off(record: Record) -> dict[str, Any]:
    d = record.data
    required(d, "receivable_id")
    currency = d.get("currency")
    money, amounts = documents.money(d.get("amount_minor"), currency)
    status = d.get("status")
    label = WRITE_OFF_STATUS_LABELS.get(str(status))
    order_number = d.get("order_number")
    seq = d.get("seq")
    where = f"{order_number} 第{seq}期" if order_number and seq else order_number
    doc = documents.common(
        record,
        READ,
        title=summary("坏账核销", where, money) or "坏账核销",
        names=[n for n in (order_number,) if n],
        body=documents.text(label, documents.amount_words(d.get("amount_minor"), currency), d.get("reason")),
        status=status,
        summary_text=summary(money, label, d.get("reason")),
        amount=d.get("amount_minor"),
        currency=currency,
    )
    documents.keywords(doc, d, "receivable_id", "order_number")
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
        "invoice": (
            build_invoice,
            {"number": KEYWORD, "order_id": KEYWORD, "receivable_id": KEYWORD, "issued_on": {"type": "date"}},
        ),
        "write_off": (build_write_off, {"receivable_id": KEYWORD, "order_number": KEYWORD}),
    },
    hit_fields={
        "receivable": ("outstanding_minor", "due_date", "overdue_bucket"),
        "payment": ("number", "received_on"),
        "invoice": ("number", "issued_on"),
    },
)
