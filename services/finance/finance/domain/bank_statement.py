"""Reading a bank statement file: CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese banks
export; comma or tab) or Excel .xlsx, with English or Chinese column headers.

Pure: bytes in, ``Statement`` out. A row that cannot be read (bad date, bad amount) or is not a
receipt (an outflow) is reported by its line number and never stops the rest of the file; only
an unreadable file (no header, wrong format, too many rows) is refused whole.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from kernel.errors import ValidationError

DEFAULT_CURRENCY = "CNY"
HEADER_SCAN_ROWS = 30  # banks put account details above the header; look this far for it
MAX_REFERENCE = 200
MAX_PAYER = 200

# Header text (folded: NFKC, lower case, no spaces) → column. The first column found wins,
# except references: every reference-like column is kept (摘要 and 附言 both carry numbers).
HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "日期", "交易日期", "记账日期", "入账日期", "交易时间", "bookingdate", "valuedate"),
    "payer": ("payer", "付款人", "对方户名", "付款人名称", "付款方", "对方账户名称", "对方名称", "对方单位"),
    "amount": ("amount", "金额", "收入金额", "贷方金额", "收入", "贷方发生额", "credit"),
    "outflow": ("支出金额", "借方金额", "支出", "借方发生额", "debit"),
    "reference": ("reference", "摘要", "附言", "用途", "备注", "交易附言", "memo", "description"),
    "currency": ("currency", "币种", "币别"),
}
REQUIRED = ("date", "payer", "amount")


@dataclass(frozen=True)
class StatementLine:
    line_no: int
    booked_on: date
    payer: str
    amount_minor: int
    currency: str
    reference: str | None
    line_hash: str = ""


@dataclass(frozen=True)
class LineProblem:
    line_no: int
    status: str  # "error" (unreadable) | "ignored" (not a receipt)
    message: str
    payer: str | None = None
    reference: str | None = None


@dataclass
class Statement:
    lines: list[StatementLine] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.lines) + len(self.problems)


class RowError(ValueError):
    """One row's problem (its message goes to the report)."""


def file_error(message: str) -> ValidationError:
    return ValidationError.for_field("file", message)


# -- the file as rows of cells -----------------------------------------------------------------
def is_xlsx(filename: str, content: bytes) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04"


def decode_text(content: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030, the superset of GBK that Chinese banks export."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise file_error("is neither UTF-8 nor GBK/GB18030 text, nor an .xlsx workbook") from None


def csv_rows(text: str) -> Iterator[list[Any]]:
    if "\x00" in text:
        raise file_error("is a binary file, not CSV text or an .xlsx workbook")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    # openpyxl is imported here so the parsing of CSV does not pay for it.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise file_error(f"is not a readable .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise file_error("has no worksheet")
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


# -- cells -------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(value: Any) -> str:
    return re.sub(r"[\s:：()（）\[\]]", "", _text(value).lower().lstrip("\ufeff"))


_AMOUNT_JUNK = re.compile(r"[,\s¥￥]|rmb|cny|元")
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s.*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s.*)?$"),
)


def parse_amount(value: Any) -> int:
    """An amount → minor units, exactly: "12,345.67", "¥12,345.67", "(100.00)" (negative).
    Excel's number cells come as Python floats; their shortest repr is the number the user typed."""
    if isinstance(value, bool):
        raise RowError("amount is not a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        text = _AMOUNT_JUNK.sub("", _text(value).lower())
        negative = text.startswith("(") and text.endswith(")")
        text = text.strip("()")
        if not text:
            raise RowError("amount is empty")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise RowError(f"amount {_text(value)!r} is not a number") from None
        if negative:
            number = -number
    if not number.is_finite():
        raise RowError("amount is not a number")
    minor = number * 100
    if minor != minor.to_integral_value():
        raise RowError(f"amount {_text(value)!r} has more than 2 decimals")
    result = int(minor)
    if abs(result) > 10**15:
        raise RowError("amount is too large")
    return result


def parse_date(value: Any) -> date:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD, 2026年3月5日 (a time after it is dropped),
    an Excel date cell, or an Excel day serial number."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # 1954..2119 as Excel day serials
            return _EXCEL_EPOCH + timedelta(days=int(value))
        value = str(int(value))
    text = _text(value)
    if not text:
        raise RowError("date is empty")
    for form in _DATE_FORMS:
        found = form.match(text)
        if found:
            year, month, day = (int(part) for part in found.groups())
            try:
                return date(year, month, day)
            except ValueError:
                break
    raise RowError(f"date {text!r} is not a date (YYYY-MM-DD)")


# -- the statement -----------------------------------------------------------------------------
def read_statement(filename: str, content: bytes, *, max_rows: int) -> Statement:
    rows = xlsx_rows(content) if is_xlsx(filename, content) else csv_rows(decode_text(content))
    return parse_rows(rows, max_rows=max_rows)


def find_columns(row: Sequence[Any]) -> dict[str, list[int]] | None:
    keys = [_header_key(cell) for cell in row]
    columns: dict[str, list[int]] = {}
    for name, aliases in HEADERS.items():
        wanted = {_header_key(alias) for alias in aliases}
        hits = [index for index, key in enumerate(keys) if key in wanted]
        if hits:
            columns[name] = hits if name == "reference" else hits[:1]
    if all(name in columns for name in REQUIRED):
        return columns
    return None


def parse_rows(rows: Iterable[Sequence[Any]], *, max_rows: int) -> Statement:
    iterator = iter(rows)
    columns: dict[str, list[int]] | None = None
    line_no = 0
    for row in iterator:
        line_no += 1
        columns = find_columns(row)
        if columns is not None or line_no >= HEADER_SCAN_ROWS:
            break
    if columns is None:
        raise file_error(
            "has no header row naming the date, payer and amount columns "
            "(date/日期/交易日期, payer/付款人/对方户名, amount/金额/收入金额)"
        )
    statement = Statement()
    for row in iterator:
        line_no += 1
        if not any(_text(cell) for cell in row):
            continue
        if statement.rows >= max_rows:
            raise file_error(f"has more than {max_rows} rows; split the statement")
        read_row(statement, line_no, row, columns)
    statement.lines = with_hashes(statement.lines)
    return statement


def read_row(statement: Statement, line_no: int, row: Sequence[Any], columns: dict[str, list[int]]) -> None:
    def cell(name: str) -> Any:
        indexes = columns.get(name) or []
        return row[indexes[0]] if indexes and indexes[0] < len(row) else None

    payer = _squash(_text(cell("payer")))[:MAX_PAYER]
    parts = [_squash(_text(row[i])) for i in columns.get("reference", []) if i < len(row)]
    reference = " / ".join(dict.fromkeys(p for p in parts if p))[:MAX_REFERENCE] or None
    try:
        booked_on = parse_date(cell("date"))
        raw_amount, raw_outflow = cell("amount"), cell("outflow")
        amount = parse_amount(raw_amount) if _text(raw_amount) else 0
        outflow = parse_amount(raw_outflow) if _text(raw_outflow) else 0
        if amount == 0 and outflow == 0 and not _text(raw_amount):
            raise RowError("amount is empty")
    except RowError as exc:
        statement.problems.append(LineProblem(line_no, "error", str(exc), payer or None, reference))
        return
    if amount <= 0:
        what = "an outflow" if amount < 0 or outflow > 0 else "a zero amount"
        statement.problems.append(
            LineProblem(line_no, "ignored", f"not a receipt ({what}): skipped", payer or None, reference)
        )
        return
    currency = _text(cell("currency")).upper()
    currency = {"人民币": "CNY", "RMB": "CNY", "": DEFAULT_CURRENCY}.get(currency, currency)
    if not re.fullmatch(r"[A-Z]{3}", currency):
        statement.problems.append(
            LineProblem(
                line_no, "error", f"currency {currency!r} is not an ISO code", payer or None, reference
            )
        )
        return
    statement.lines.append(StatementLine(line_no, booked_on, payer, amount, currency, reference))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def line_key(line: StatementLine) -> str:
    return "|".join(
        (line.booked_on.isoformat(), line.payer, str(line.amount_minor), line.currency, line.reference or "")
    )


def with_hashes(lines: Sequence[StatementLine]) -> list[StatementLine]:
    """Each line's identity across files: its content and which occurrence of that content it is
    in its file (two equal transfers on one day are two lines; the same one in an overlapping
    statement is one)."""
    seen: dict[str, int] = {}
    hashed: list[StatementLine] = []
    for line in lines:
        key = line_key(line)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest()
        hashed.append(
            StatementLine(
                line.line_no,
                line.booked_on,
                line.payer,
                line.amount_minor,
                line.currency,
                line.reference,
                digest,
            )
        )
    return hashed
