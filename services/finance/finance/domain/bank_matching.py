"""Matching a bank statement line to a customer and its receivables, framework-free.

Rules, in order:
1. By reference: an order number (SO-2026-000123) or invoice number (INV-2026-000045) in the
   line's reference text names receivables; if they all belong to one customer, the line is that
   customer's payment, allocated to those receivables oldest due first (what is left over is the
   customer's credit: the customer is certain even when nothing is open any more).
2. By amount and payer: the payer's folded name equals a customer's folded name and an open
   receivable of that customer has exactly the line's amount outstanding. Several such
   receivables of one customer: the oldest due is paid (instalments of equal amounts are usual,
   and collections settle the oldest first); of several customers: ambiguous.
3. Otherwise unmatched; customers of that payer name are suggested as candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Not \b: Chinese text is "word" characters too ("货款SO-2026-000123" must still be found).
ORDER_NUMBER = re.compile(r"(?<![A-Z0-9])SO-\d{4}-\d{4,}(?!\d)")
INVOICE_NUMBER = re.compile(r"(?<![A-Z0-9])INV-\d{4}-\d{4,}(?!\d)")


@dataclass(frozen=True)
class OpenItem:
    """A receivable as matching sees it."""

    receivable_id: str
    customer_id: str
    customer_name: str
    order_number: str | None
    seq: int
    due_date: date
    currency: str
    outstanding: int

    def candidate(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "receivable_id": self.receivable_id,
            "order_number": self.order_number,
            "seq": self.seq,
            "due_date": self.due_date.isoformat(),
            "currency": self.currency,
            "outstanding_minor": self.outstanding,
        }


@dataclass(frozen=True)
class Decision:
    status: str  # matched | unmatched | ambiguous
    customer_id: str | None = None
    allocations: tuple[tuple[str, int], ...] = ()  # (receivable_id, amount_minor)
    candidates: tuple[dict[str, Any], ...] = ()
    rule: str | None = None  # reference | amount_payer
    message: str | None = None


@dataclass
class Evidence:
    """What the database knows about one line: the receivables its reference names (any status:
    a paid order still names its customer), and the customers of its payer's folded name with
    their open receivables."""

    referenced: list[OpenItem] = field(default_factory=list)
    named_customers: dict[str, str] = field(default_factory=dict)  # id → name
    named_items: list[OpenItem] = field(default_factory=list)


def numbers_in(text: str | None) -> tuple[set[str], set[str]]:
    """(order numbers, invoice numbers) written in a reference, in any width or case."""
    if not text:
        return set(), set()
    folded = unicodedata.normalize("NFKC", text).upper()
    return set(ORDER_NUMBER.findall(folded)), set(INVOICE_NUMBER.findall(folded))


def oldest_first(items: Iterable[OpenItem]) -> list[OpenItem]:
    return sorted(items, key=lambda i: (i.due_date, i.order_number or "", i.seq, i.receivable_id))


def spread(amount: int, items: Sequence[OpenItem]) -> tuple[tuple[str, int], ...]:
    """Pay ``amount`` into ``items`` oldest due first, each up to what it still owes."""
    left = amount
    made: list[tuple[str, int]] = []
    for item in oldest_first(items):
        if left <= 0:
            break
        part = min(left, item.outstanding)
        if part > 0:
            made.append((item.receivable_id, part))
            left -= part
    return tuple(made)


def decide(amount: int, currency: str, evidence: Evidence) -> Decision:
    by_reference = _by_reference(amount, currency, evidence.referenced)
    if by_reference is not None:
        return by_reference
    return _by_amount_and_payer(amount, currency, evidence)


def _by_reference(amount: int, currency: str, referenced: Sequence[OpenItem]) -> Decision | None:
    if not referenced:
        return None
    customers = {item.customer_id for item in referenced}
    if len(customers) > 1:
        candidates = tuple(item.candidate() for item in oldest_first(referenced))
        return Decision(
            "ambiguous",
            candidates=candidates,
            rule="reference",
            message="the reference names receivables of several customers",
        )
    (customer_id,) = customers
    payable = [i for i in referenced if i.currency == currency and i.outstanding > 0]
    allocations = spread(amount, payable)
    allocated = sum(part for _, part in allocations)
    message = None if allocated == amount else f"{amount - allocated} kept as the customer's credit"
    return Decision("matched", customer_id, allocations, rule="reference", message=message)


def _by_amount_and_payer(amount: int, currency: str, evidence: Evidence) -> Decision:
    exact = [
        item
        for item in evidence.named_items
        if item.customer_id in evidence.named_customers
        and item.currency == currency
        and item.outstanding == amount
    ]
    if exact:
        customers = {item.customer_id for item in exact}
        if len(customers) == 1:
            (oldest, *others) = oldest_first(exact)
            message = f"oldest of {len(exact)} instalments of this amount" if others else None
            return Decision(
                "matched",
                oldest.customer_id,
                ((oldest.receivable_id, amount),),
                rule="amount_payer",
                message=message,
            )
        return Decision(
            "ambiguous",
            candidates=tuple(item.candidate() for item in oldest_first(exact)),
            rule="amount_payer",
            message="several customers of this name owe exactly this amount",
        )
    suggestions = tuple(
        {"customer_id": cid, "customer_name": name} for cid, name in sorted(evidence.named_customers.items())
    )
    if suggestions:
        return Decision(
            "unmatched",
            candidates=suggestions,
            message="the payer is a customer, but no open receivable has exactly this amount",
        )
    return Decision("unmatched", message="no customer or receivable found")
