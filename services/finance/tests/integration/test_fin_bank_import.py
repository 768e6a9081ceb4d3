"""Bank-statement import against the real finance database: matching records payments, the same
file twice changes nothing, overlapping files give duplicates, a crashed import resumes, the
review list resolves and ignores lines."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from finance.app import FinanceApp
from finance.handlers import bank_import
from finance.storage.models import BankLineRow, PaymentRow, ReceivableRow
from finance.storage.unit import FinanceUnit
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, SALES1, SUPPORT
from kernel.errors import Conflict, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sqlalchemy import func, select

HEADER = "交易日期,对方户名,收入金额,摘要\n"


def receivable(
    finance: FinanceApp, customer_id: str, amount: int, due: date, order_number: str, seq: int = 1
) -> dict[str, Any]:
    def add(unit: FinanceUnit) -> dict[str, Any]:
        state = add_receivable(unit, customer_id, amount, due, seq=seq)
        unit.session.get_one(ReceivableRow, state["id"]).order_number = order_number
        return state

    state: dict[str, Any] = finance.run(SYSTEM, add)
    return state


def run(finance: FinanceApp, text: str, name: str = "statement.csv", **kwargs: Any) -> dict[str, Any]:
    report: dict[str, Any] = finance.run(FINANCE, bank_import.run_import, name, text.encode(), **kwargs)
    return report


def payments_count(finance: FinanceApp) -> int:
    return int(
        finance.run(SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(PaymentRow)))
    )


def receivables(finance: FinanceApp) -> dict[str, tuple[str, int]]:
    return dict(
        finance.run(
            SYSTEM,
            lambda unit: {
                r.id: (r.status, r.paid_minor) for r in unit.session.scalars(select(ReceivableRow))
            },
        )
    )


@pytest.fixture
def books(finance: FinanceApp, customer: Callable[..., Any]) -> dict[str, Any]:
    acme = customer(SALES1, "A科技有限公司")
    beta = customer(SALES1, "B贸易有限公司")
    twin1 = customer(SALES1, "同名科技有限公司")
    twin2 = customer(SALES1, "同名科技(北京)")
    return {
        "acme": acme,
        "beta": beta,
        "a1": receivable(finance, acme["id"], 100_000, date(2026, 10, 1), "SO-2026-000123", 1),
        "a2": receivable(finance, acme["id"], 50_000, date(2026, 11, 1), "SO-2026-000123", 2),
        "b1": receivable(finance, beta["id"], 30_000, date(2026, 11, 1), "SO-2026-000200"),
        "t1": receivable(finance, twin1["id"], 7_700, date(2026, 11, 1), "SO-2026-000301"),
        "t2": receivable(finance, twin2["id"], 7_700, date(2026, 11, 1), "SO-2026-000302"),
    }


STATEMENT = (
    HEADER
    + '2026-11-03,某某个人,"1,600.00",货款 SO-2026-000123\n'  # reference: acme, oldest first
    + "2026-11-03,Ｂ贸易,300.00,十一月货款\n"  # amount + folded payer: beta
    + "2026-11-04,同名科技,77.00,\n"  # two customers of that folded name owe 77.00
    + "2026-11-04,陌生公司,10.00,\n"  # nobody
    + "2026-11-05,A科技,-20.00,退款\n"  # outflow
    + "2026-11-31,A科技,5.00,\n"  # bad date
)


def test_import_matches_records_payments_and_reports_every_row(
    finance: FinanceApp, books: dict[str, Any]
) -> None:
    report = run(finance, STATEMENT)
    assert report["duplicate_file"] is False and report["status"] == "complete"
    statuses = [(line["line_no"], line["status"]) for line in report["lines"]]
    assert statuses == [
        (2, "matched"),
        (3, "matched"),
        (4, "ambiguous"),
        (5, "unmatched"),
        (6, "ignored"),
        (7, "error"),
    ]
    counts = {k: report[k] for k in ("rows", "matched", "unmatched", "ambiguous", "duplicates", "errors")}
    assert counts == {"rows": 6, "matched": 2, "unmatched": 1, "ambiguous": 1, "duplicates": 0, "errors": 1}
    assert receivables(finance)[books["a1"]["id"]] == ("paid", 100_000)
    assert receivables(finance)[books["a2"]["id"]] == ("paid", 50_000)
    assert receivables(finance)[books["b1"]["id"]] == ("paid", 30_000)
    first = report["lines"][0]
    assert first["customer_id"] == books["acme"]["id"] and "credit" in first["message"]
    payment = finance.run(
        SYSTEM,
        lambda unit: unit.session.scalars(
            select(PaymentRow).where(PaymentRow.id == first["payment_id"])
        ).one(),
    )
    assert (payment.source, payment.bank_line_id, payment.amount_minor, payment.allocated_minor) == (
        "bank_import",
        first["id"],
        160_000,
        150_000,
    )
    ambiguous = report["lines"][2]
    assert {c["receivable_id"] for c in ambiguous["candidates"]} == {books["t1"]["id"], books["t2"]["id"]}
    assert "date" in report["lines"][5]["message"]


def test_the_same_file_twice_changes_nothing(finance: FinanceApp, books: dict[str, Any]) -> None:
    first = run(finance, STATEMENT)
    paid = payments_count(finance)
    again = run(finance, STATEMENT, name="renamed.csv")
    assert again["duplicate_file"] is True
    assert {**again, "duplicate_file": False} == first
    assert payments_count(finance) == paid == 2


def test_an_overlapping_file_marks_the_overlap_duplicate(finance: FinanceApp, books: dict[str, Any]) -> None:
    run(finance, HEADER + "2026-11-03,Ｂ贸易,300.00,十一月货款\n")
    report = run(
        finance,
        HEADER + "2026-11-03,Ｂ贸易,300.00,十一月货款\n" + "2026-11-03,某某个人,1500.00,SO-2026-000123\n",
    )
    assert [line["status"] for line in report["lines"]] == ["duplicate", "matched"]
    assert report["duplicates"] == 1 and "already imported" in report["lines"][0]["message"]
    assert payments_count(finance) == 2


def test_two_equal_transfers_in_one_file_are_two_lines(finance: FinanceApp, books: dict[str, Any]) -> None:
    line = "2026-11-03,陌生公司,10.00,x\n"
    report = run(finance, HEADER + line + line)
    assert [entry["status"] for entry in report["lines"]] == ["unmatched", "unmatched"]


def test_a_crash_mid_file_is_finished_by_importing_it_again(
    finance: FinanceApp, books: dict[str, Any]
) -> None:
    calls: list[int] = []

    def crash_after_first_batch(done: int, total: int) -> None:
        assert total == 6
        calls.append(done)
        if len(calls) == 1:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        run(finance, STATEMENT, batch_size=1, progress=crash_after_first_batch)
    stored = finance.run(
        SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(BankLineRow))
    )
    assert stored == 1 and payments_count(finance) == 1
    report = run(finance, STATEMENT, batch_size=2)
    assert report["duplicate_file"] is False
    assert [line["status"] for line in report["lines"]] == [
        "matched",
        "matched",
        "ambiguous",
        "unmatched",
        "ignored",
        "error",
    ]
    assert payments_count(finance) == 2
    assert run(finance, STATEMENT)["duplicate_file"] is True


def test_review_resolve_records_the_payment_and_ignore_sets_a_line_aside(
    finance: FinanceApp, books: dict[str, Any]
) -> None:
    report = run(finance, STATEMENT)
    review = finance.run(FINANCE, bank_import.list_bank_lines, {"status": "ambiguous"})
    (ambiguous,) = review["items"]
    assert ambiguous["id"] == report["lines"][2]["id"]
    target = books["t1"]
    with pytest.raises(ValidationError):  # a float is never money
        finance.run(
            FINANCE,
            bank_import.resolve_bank_line,
            ambiguous["id"],
            {
                "customer_id": target["customer_id"],
                "allocations": [{"receivable_id": target["id"], "amount_minor": 7700.0}],
            },
        )
    resolved = finance.run(
        FINANCE,
        bank_import.resolve_bank_line,
        ambiguous["id"],
        {
            "customer_id": target["customer_id"],
            "allocations": [{"receivable_id": target["id"], "amount_minor": 7_700}],
        },
    )
    assert (
        resolved["status"] == "resolved"
        and resolved["payment_id"]
        and resolved["resolved_by"] == FINANCE.user_id
    )
    assert receivables(finance)[target["id"]] == ("paid", 7_700)
    with pytest.raises(Conflict):
        finance.run(
            FINANCE, bank_import.resolve_bank_line, ambiguous["id"], {"customer_id": target["customer_id"]}
        )
    unmatched = report["lines"][3]
    ignored = finance.run(FINANCE, bank_import.ignore_bank_line, unmatched["id"], "bank interest")
    assert (ignored["status"], ignored["message"]) == ("ignored", "bank interest")
    assert finance.run(FINANCE, bank_import.list_bank_lines, {"status": "unmatched"})["items"] == []
    again = finance.run(FINANCE, bank_import.get_bank_import, report["import_id"])
    assert (again["resolved"], again["ignored"], again["ambiguous"], again["unmatched"]) == (1, 2, 0, 0)
    listed = finance.run(FINANCE, bank_import.list_bank_imports)
    assert [i["id"] for i in listed["items"]] == [report["import_id"]]


def test_only_finance_imports_and_reviews(finance: FinanceApp, books: dict[str, Any]) -> None:
    content = base64.b64encode(STATEMENT.encode()).decode()
    for caller in (SALES1, SUPPORT):
        with pytest.raises(PermissionDenied):
            finance.run(caller, bank_import.import_bank_statement, "s.csv", content)
        with pytest.raises(PermissionDenied):
            finance.run(caller, bank_import.list_bank_lines)
    report = finance.run(FINANCE, bank_import.import_bank_statement, "s.csv", content)
    assert report["matched"] == 2
    with pytest.raises(ValidationError) as caught:
        finance.run(FINANCE, bank_import.import_bank_statement, "s.csv", "not base64!")
    assert caught.value.errors[0]["field"] == "file"


def test_the_cli_imports_with_a_progress_bar_and_writes_the_csv_report(
    finance: FinanceApp,
    books: dict[str, Any],
    servers: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import csv

    from finance import bank_import as cli
    from finance import settings as finance_settings_module

    real = finance_settings_module.finance_settings()
    test_settings = real.model_copy(update={"database_url": servers.finance_database_url})
    monkeypatch.setattr(finance_settings_module, "finance_settings", lambda: test_settings)
    statement = tmp_path / "十一月.csv"
    statement.write_bytes(STATEMENT.encode("gbk"))
    report_path = tmp_path / "out.csv"
    assert cli.main([str(statement), "--as", "finance", "--report", str(report_path)]) == 0
    rows = list(csv.DictReader(report_path.open(encoding="utf-8-sig")))
    assert [(r["line_no"], r["status"]) for r in rows][:2] == [("2", "matched"), ("3", "matched")]
    assert rows[0]["amount"] == "1600.00" and rows[0]["payment_id"]
    err = capsys.readouterr().err
    assert "matched 2" in err and "6/6" in err  # the summary, and tqdm's last state
    assert cli.main([str(statement), "--report", "-"]) == 0
    assert "imported before" in capsys.readouterr().err
    assert payments_count(finance) == 2


def test_the_same_file_imported_twice_at_once_pays_each_line_once(
    finance: FinanceApp, books: dict[str, Any]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: run(finance, STATEMENT, batch_size=1), range(2)))
    assert payments_count(finance) == 2
    assert all(r["matched"] == 2 for r in reports)
    stored = finance.run(
        SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(BankLineRow))
    )
    assert stored == 4  # matched, matched, ambiguous, unmatched: each once


def test_an_invoice_number_in_the_reference_pays_its_receivable(
    finance: FinanceApp, books: dict[str, Any]
) -> None:
    from decimal import Decimal

    from finance.storage.models import InvoiceRow
    from kernel.clock import utcnow
    from kernel.ids import new_id

    target = books["a2"]

    def invoice(unit: FinanceUnit) -> None:
        now = utcnow()
        unit.session.add(
            InvoiceRow(
                id=new_id(),
                number="INV-2026-000045",
                order_id=target["order_id"],
                receivable_id=target["id"],
                title="A科技有限公司",
                currency="CNY",
                amount_minor=50_000,
                tax_rate=Decimal("0.1300"),
                tax_minor=5_752,
                status="issued",
                created_by="u-finance",
                customer_id=target["customer_id"],
                customer_name="A科技有限公司",
                version=1,
                created_at=now,
                updated_at=now,
            )
        )

    finance.run(SYSTEM, invoice)
    report = run(finance, HEADER + "2026-11-06,代付人,500.00,发票ＩＮＶ-2026-000045\n")
    assert report["lines"][0]["status"] == "matched"
    assert receivables(finance)[target["id"]] == ("paid", 50_000)
    assert receivables(finance)[books["a1"]["id"]] == ("open", 0)  # the invoice named the second one
