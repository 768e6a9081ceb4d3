"""Matching statement lines: by reference first, then exact amount + folded payer name."""

from __future__ import annotations

from datetime import date

from finance.domain.bank_matching import Evidence, OpenItem, decide, numbers_in


def item(
    rid: str, customer: str, outstanding: int, due: date = date(2026, 11, 1), order: str = "SO-2026-000001"
) -> OpenItem:
    return OpenItem(rid, customer, f"name-{customer}", order, 1, due, "CNY", outstanding)


def test_numbers_are_found_inside_chinese_text_in_any_width() -> None:
    assert numbers_in("货款SO-2026-000123，发票ＩＮＶ－2026－000045") == (
        {"SO-2026-000123"},
        {"INV-2026-000045"},
    )
    assert numbers_in("XSO-2026-0001234") == (set(), set())


def test_reference_pays_the_named_receivables_oldest_first_and_keeps_credit() -> None:
    later, earlier = item("r2", "c1", 300, date(2026, 12, 1)), item("r1", "c1", 500, date(2026, 11, 1))
    decision = decide(1_000, "CNY", Evidence(referenced=[later, earlier]))
    assert (decision.status, decision.customer_id, decision.rule) == ("matched", "c1", "reference")
    assert decision.allocations == (("r1", 500), ("r2", 300))
    assert decision.message is not None and "200" in decision.message


def test_reference_to_a_paid_order_still_names_the_customer_as_credit() -> None:
    decision = decide(1_000, "CNY", Evidence(referenced=[item("r1", "c1", 0)]))
    assert (decision.status, decision.customer_id, decision.allocations) == ("matched", "c1", ())


def test_reference_naming_two_customers_is_ambiguous() -> None:
    decision = decide(100, "CNY", Evidence(referenced=[item("r1", "c1", 100), item("r2", "c2", 100)]))
    assert decision.status == "ambiguous" and {c["customer_id"] for c in decision.candidates} == {"c1", "c2"}


def test_amount_and_payer_match_one_receivable() -> None:
    evidence = Evidence(
        named_customers={"c1": "A"}, named_items=[item("r1", "c1", 100), item("r2", "c1", 250)]
    )
    decision = decide(250, "CNY", evidence)
    assert (decision.status, decision.customer_id, decision.allocations) == ("matched", "c1", (("r2", 250),))


def test_equal_instalments_of_one_customer_pay_the_oldest() -> None:
    evidence = Evidence(
        named_customers={"c1": "A"},
        named_items=[item("r2", "c1", 100, date(2026, 12, 1)), item("r1", "c1", 100, date(2026, 11, 1))],
    )
    assert decide(100, "CNY", evidence).allocations == (("r1", 100),)


def test_two_customers_of_the_same_name_and_amount_are_ambiguous() -> None:
    evidence = Evidence(
        named_customers={"c1": "A", "c2": "A"}, named_items=[item("r1", "c1", 100), item("r2", "c2", 100)]
    )
    decision = decide(100, "CNY", evidence)
    assert decision.status == "ambiguous" and len(decision.candidates) == 2


def test_no_exact_amount_is_unmatched_with_the_customer_suggested() -> None:
    evidence = Evidence(named_customers={"c1": "A"}, named_items=[item("r1", "c1", 100)])
    decision = decide(99, "CNY", evidence)
    assert decision.status == "unmatched" and decision.candidates == (
        {"customer_id": "c1", "customer_name": "A"},
    )
    assert decide(99, "CNY", Evidence()).status == "unmatched"


def test_other_currency_does_not_match_by_amount() -> None:
    evidence = Evidence(named_customers={"c1": "A"}, named_items=[item("r1", "c1", 100)])
    assert decide(100, "USD", evidence).status == "unmatched"
