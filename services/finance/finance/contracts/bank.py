"""Bank-statement import: a statement file (CSV or XLSX) becomes payments where its lines match
receivables, and a review list for the lines that do not.

Each statement line gets a status:
    matched     a payment was recorded (``payment_id``), allocated to the matched receivable(s),
                or kept as the customer's credit when only the customer is certain
    unmatched   no customer found (``candidates`` may suggest customers of that payer name)
    ambiguous   several receivables of different customers fit (``candidates`` lists them)
    duplicate   the same line (date, payer, amount, reference, occurrence) was imported before
    error       unreadable date or amount (reported, never stored as a line)
    ignored     not a receipt (an outflow or zero amount), or set aside by a reviewer
    resolved    a reviewer chose the customer (and receivables): a payment was recorded

Importing the same file again (same SHA-256) changes nothing and answers the first report with
``duplicate_file: true``.

RPC (``caller`` first; finance only; ValidationError / NotFound / PermissionDenied / Conflict):
    import_bank_statement(caller, filename, content_base64) -> BankImportReport
    get_bank_import(caller, import_id) -> BankImportReport
    list_bank_imports(caller, cursor=None, limit=None) -> Page[BankImport]   (without lines)
    list_bank_lines(caller, filters=None, cursor=None, limit=None) -> Page[BankLine]
        filters: status, import_id
    resolve_bank_line(caller, line_id, data) -> BankLine       (data: BankLineResolve)
    ignore_bank_line(caller, line_id, note) -> BankLine
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Id, RequestModel
from pydantic import BaseModel, Field

from finance.contracts.payments import MAX_ALLOCATIONS, AllocationIn

LineStatus = Literal["matched", "unmatched", "ambiguous", "duplicate", "error", "resolved", "ignored"]
LINE_STATUSES: tuple[str, ...] = get_args(LineStatus)
REVIEWABLE = ("unmatched", "ambiguous")

# A statement larger than this is refused whole (HTTP 413): split it by month.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ROWS = 200_000


class BankLine(BaseModel):
    id: str | None = None  # none for an error line (nothing stored)
    import_id: str | None = None
    line_no: int  # the row in the file as a spreadsheet shows it (header included)
    status: LineStatus
    booked_on: str | None = None
    payer: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    reference: str | None = None
    customer_id: str | None = None
    payment_id: str | None = None
    candidates: list[dict[str, Any]] = []
    message: str | None = None
    resolved_by: str | None = None
    resolved_at: str | None = None


class BankImport(BaseModel):
    id: str
    filename: str
    file_sha256: str
    status: Literal["processing", "complete"]
    rows: int
    matched: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    duplicates: int = 0
    errors: int = 0
    ignored: int = 0
    resolved: int = 0
    created_by: str
    created_at: str


class BankImportReport(BankImport):
    import_id: str
    duplicate_file: bool = False
    lines: list[BankLine] = []


class BankLineResolve(RequestModel):
    customer_id: Id
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=MAX_ALLOCATIONS)
    note: str | None = Field(default=None, max_length=2000)


class BankLineIgnore(RequestModel):
    note: str = Field(min_length=1, max_length=2000, description="Why this line is not a customer payment")


# Imports and review decisions are audited; the payments they record publish payment.recorded.
EVENT_SCHEMAS: dict[str, type[BaseModel]] = {}
SEARCH_KINDS: tuple[SearchKind, ...] = ()
