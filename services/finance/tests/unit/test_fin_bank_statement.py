"""Reading bank statements: encodings, delimiters, Excel, Chinese headers, bad rows by line."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from finance.domain.bank_statement import parse_amount, parse_date, read_statement
from kernel.errors import ValidationError
from openpyxl import Workbook

CSV = (
    "date,payer,amount,reference\n"
    '2026-11-03,A科技有限公司,"12,345.67",SO-2026-000123\n'
    "2026/11/04,B贸易,￥1000,货款\n"  # the full-width yen sign GBK has
)
CHINESE = (
    "交易日期\t对方户名\t收入金额\t支出金额\t摘要\n2026-11-05\tA科技有限公司\t500.00\t\t货款SO-2026-000001\n"
)


def test_utf8_csv_reads_amounts_exactly_in_minor_units() -> None:
    statement = read_statement("s.csv", CSV.encode(), max_rows=100)
    assert [(x.line_no, x.booked_on, x.payer, x.amount_minor, x.reference) for x in statement.lines] == [
        (2, date(2026, 11, 3), "A科技有限公司", 1_234_567, "SO-2026-000123"),
        (3, date(2026, 11, 4), "B贸易", 100_000, "货款"),
    ]
    assert statement.problems == []


def test_bom_and_gbk_give_the_same_lines() -> None:
    plain = read_statement("s.csv", CSV.encode(), max_rows=100).lines
    assert read_statement("s.csv", b"\xef\xbb\xbf" + CSV.encode(), max_rows=100).lines == plain
    assert read_statement("s.csv", CSV.encode("gbk"), max_rows=100).lines == plain
    assert read_statement("s.csv", CSV.encode("gb18030"), max_rows=100).lines == plain


def test_tab_separated_with_chinese_headers_and_a_preamble() -> None:
    text = "账号: 6222 0000\t\n户名: 本公司\n" + CHINESE
    statement = read_statement("s.txt", text.encode("gbk"), max_rows=100)
    (line,) = statement.lines
    assert (line.line_no, line.payer, line.amount_minor, line.reference) == (
        4,
        "A科技有限公司",
        50_000,
        "货款SO-2026-000001",
    )


def test_bad_rows_are_reported_by_line_and_the_rest_is_read() -> None:
    text = (
        "日期,付款人,金额,附言,用途\n"
        "2026-13-40,A,100,x,\n"  # bad date
        "2026-11-01,B,abc,,\n"  # bad amount
        "2026-11-01,C,-50.00,refund,\n"  # outflow
        "2026-11-01,D,1.005,,\n"  # sub-cent
        "\n"
        "2026-11-02,E,(10.00),,\n"  # accounting negative
        "2026-11-02,F,1.5,INV-2026-000001,Q4\n"
        "合计,,1.5,,\n"
    )
    statement = read_statement("s.csv", text.encode(), max_rows=100)
    assert [(x.line_no, x.amount_minor, x.reference) for x in statement.lines] == [
        (8, 150, "INV-2026-000001 / Q4")
    ]
    assert [(p.line_no, p.status) for p in statement.problems] == [
        (2, "error"),
        (3, "error"),
        (4, "ignored"),
        (5, "error"),
        (7, "ignored"),
        (9, "error"),
    ]
    assert "date" in statement.problems[0].message and "amount" in statement.problems[1].message


def test_xlsx_with_date_and_number_cells() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["交易日期", "付款人", "金额", "备注"])
    sheet.append([datetime(2026, 11, 3, 10, 30), "A科技有限公司", 12345.67, "SO-2026-000123"])
    sheet.append(["2026/11/04", "B贸易", 100, None])
    sheet.append([46000, "C", "1,000.10", None])  # an Excel day serial
    buffer = io.BytesIO()
    book.save(buffer)
    statement = read_statement("statement.xlsx", buffer.getvalue(), max_rows=100)
    assert [(x.booked_on, x.amount_minor) for x in statement.lines] == [
        (date(2026, 11, 3), 1_234_567),
        (date(2026, 11, 4), 10_000),
        (date(2025, 12, 9), 100_010),
    ]


def test_same_lines_get_distinct_hashes_by_occurrence_and_stable_across_files() -> None:
    row = "2026-11-03,A,100,x\n"
    one = read_statement("a.csv", ("date,payer,amount,reference\n" + row * 2).encode(), max_rows=10).lines
    two = read_statement("b.csv", ("date,payer,amount,reference\n" + row).encode(), max_rows=10).lines
    assert one[0].line_hash != one[1].line_hash
    assert two[0].line_hash == one[0].line_hash


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello,world\n1,2\n", "header"),
        (b"PK\x03\x04garbage", "xlsx"),
        (b"\x00\x01\xff\xfe\x00", "neither"),
    ],
)
def test_unreadable_files_are_refused_naming_file(content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_statement("x.csv", content, max_rows=10)
    assert caught.value.errors[0]["field"] == "file"
    assert message in caught.value.errors[0]["message"]


def test_too_many_rows_is_refused() -> None:
    text = "date,payer,amount\n" + "2026-11-01,A,1\n" * 11
    with pytest.raises(ValidationError, match="more than 10 rows"):
        read_statement("x.csv", text.encode(), max_rows=10)


@pytest.mark.parametrize(
    ("text", "minor"),
    [("12,345.67", 1_234_567), ("¥12,345.67", 1_234_567), ("￥ 0.01", 1), ("1e2", 10_000), (" 7 ", 700)],
)
def test_amounts(text: str, minor: int) -> None:
    assert parse_amount(text) == minor


def test_dates() -> None:
    assert parse_date("2026年3月5日") == parse_date("20260305") == parse_date("2026.03.05 10:00:00")
    assert parse_date(date(2026, 3, 5)) == date(2026, 3, 5)
