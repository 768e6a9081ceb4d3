"""Bank-statement import: parse, match, record payments, in committed batches that a retry resumes.

Why batches and not one transaction: a statement of 100k lines is minutes of work and a large
transaction (every matched line is a payment, its allocations and their events). Each batch is
its own transaction under a row lock on the import, so:

- a crash (or an RPC deadline) mid-file leaves the import ``processing`` with whole batches
  stored; importing the same file again finds it by its SHA-256 and carries on with the lines not
  yet stored (a line is stored in the same transaction as its payment, so none is paid twice);
- two people importing the same file at once take turns on the lock; the second finds the
  first's lines already stored;
- once every line is stored the import is ``complete`` and the same file again is a no-op that
  answers the first report (``duplicate_file``).

A line already imported from another file (same ``line_hash``) is stored as ``duplicate``, with
no payment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.listing import paged, read_filters
from kernel.replicas import folded_company_name
from kernel.schema import parse
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert

from finance import policy
from finance.contracts.bank import (
    LINE_STATUSES,
    MAX_FILE_BYTES,
    REVIEWABLE,
    BankLineIgnore,
    BankLineResolve,
)
from finance.domain import bank_matching as matching
from finance.domain import bank_statement
from finance.domain.bank_statement import LineProblem, Statement, StatementLine
from finance.handlers import payments
from finance.handlers.receivable_state import balance_of
from finance.settings import finance_settings
from finance.storage.models import BankImportRow, BankLineRow, InvoiceRow, ReceivableRow, customer_refs
from finance.storage.unit import FinanceUnit

Progress = Callable[[int, int], None]  # (rows done, rows in the file)
OPEN = ("open", "partially_paid")
LINE_FILTERS = ("status", "import_id")


def require_importer(unit: FinanceUnit) -> None:
    if not policy.can_write(unit.caller):
        raise PermissionDenied("only finance may import bank statements")


# -- RPC use cases ---------------------------------------------------------------------------------
def import_bank_statement(unit: FinanceUnit, filename: Any, content_base64: Any) -> dict[str, Any]:
    """Import a statement file sent as base64; the per-row report."""
    require_importer(unit)
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        raise ValidationError.for_field("filename", "must be a file name of 1 to 255 characters")
    if not isinstance(content_base64, str):
        raise ValidationError.for_field("file", "must be base64 text")
    if len(content_base64) > (MAX_FILE_BYTES * 4) // 3 + 4:
        raise ValidationError.for_field("file", f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError.for_field("file", "is not valid base64") from None
    return run_import(unit, filename.strip(), content)


def run_import(
    unit: FinanceUnit,
    filename: str,
    content: bytes,
    *,
    progress: Progress | None = None,
    batch_size: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The import itself (the CLI calls it in process, with a progress bar)."""
    require_importer(unit)
    settings = finance_settings()
    if not content:
        raise ValidationError.for_field("file", "is empty")
    if len(content) > settings.bank_import_max_bytes:
        raise ValidationError.for_field("file", f"is larger than {settings.bank_import_max_bytes} bytes")
    statement = bank_statement.read_statement(filename, content, max_rows=settings.bank_import_max_rows)
    sha = hashlib.sha256(content).hexdigest()
    moment = now or utcnow()
    import_id = _claim_import(unit, filename, sha, statement, moment)
    head = unit.session.get(BankImportRow, import_id)
    assert head is not None
    if head.status == "complete":
        if progress is not None:
            progress(statement.rows, statement.rows)
        return import_report(unit, head, duplicate_file=True)
    unit.session.commit()  # the claim is visible: a concurrent import of this file waits on it
    size = batch_size or settings.bank_import_batch_size
    lines = statement.lines
    for start in range(0, len(lines), size):
        batch = lines[start : start + size]
        _import_batch(unit, import_id, batch)
        unit.session.commit()
        unit.session.expunge_all()  # a 100k-line file must not keep every row in memory
        if progress is not None:
            progress(start + len(batch), statement.rows)
    head = _complete(unit, import_id, statement, moment)
    if progress is not None:
        progress(statement.rows, statement.rows)
    return import_report(unit, head, duplicate_file=False)


def get_bank_import(unit: FinanceUnit, import_id: Any) -> dict[str, Any]:
    require_importer(unit)
    return import_report(unit, _load_import(unit, import_id), duplicate_file=False)


def list_bank_imports(unit: FinanceUnit, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    require_importer(unit)
    rows, next_cursor = paged(unit.session, unit.caller, BankImportRow, policy.BANK, {}, cursor, limit)
    counts = _counts(unit, [r.id for r in rows])
    return {"items": [import_state(r, counts.get(r.id, Counter())) for r in rows], "next_cursor": next_cursor}


def list_bank_lines(
    unit: FinanceUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """The review list (``status``: unmatched, ambiguous, …; ``import_id``), newest first."""
    require_importer(unit)
    wanted = read_filters(filters, LINE_FILTERS, {"status": LINE_STATUSES})
    rows, next_cursor = paged(unit.session, unit.caller, BankLineRow, policy.BANK, wanted, cursor, limit)
    return {"items": [line_state(r) for r in rows], "next_cursor": next_cursor}


def resolve_bank_line(unit: FinanceUnit, line_id: Any, data: Any) -> dict[str, Any]:
    """A reviewer names the customer (and the receivables): the payment is recorded."""
    require_importer(unit)
    request = parse(BankLineResolve, data)
    row = _reviewable(unit, line_id)
    payment = payments.record_payment(
        unit,
        {
            "customer_id": request.customer_id,
            "received_on": row.booked_on.isoformat(),
            "amount_minor": row.amount_minor,
            "currency": row.currency,
            "payer": row.payer or None,
            "reference": row.reference,
            "note": request.note,
            "allocations": [a.model_dump() for a in request.allocations],
        },
        source="bank_import",
        bank_line_id=row.id,
    )
    before = line_state(row)
    row.status = "resolved"
    row.customer_id = payment["customer_id"]
    row.payment_id = payment["id"]
    row.note = request.note or row.note
    row.resolved_by = unit.caller.user_id
    row.resolved_at = utcnow()
    unit.session.flush()
    return _audited(unit, row, before, "resolved", payment["customer_id"])


def ignore_bank_line(unit: FinanceUnit, line_id: Any, note: Any) -> dict[str, Any]:
    """Not a customer payment (a refund from a supplier, interest, …): off the review list."""
    require_importer(unit)
    request = parse(BankLineIgnore, {"note": note})
    row = _reviewable(unit, line_id)
    before = line_state(row)
    row.status = "ignored"
    row.note = request.note
    row.resolved_by = unit.caller.user_id
    row.resolved_at = utcnow()
    unit.session.flush()
    return _audited(unit, row, before, "ignored", "")


# -- the import, batch by batch ------------------------------------------------------------------
def _claim_import(unit: FinanceUnit, filename: str, sha: str, statement: Statement, now: datetime) -> str:
    """The import of this file: a new one, or the one already there (complete or to resume)."""
    unit.session.execute(
        insert(BankImportRow)
        .values(
            id=new_id(),
            file_sha256=sha,
            filename=filename[:255],
            rows_total=statement.rows,
            summary={},
            created_by=unit.caller.user_id,
            created_at=now,
            status="processing",
            problems=[],
        )
        .on_conflict_do_nothing(index_elements=["file_sha256"])
    )
    found = unit.session.scalars(select(BankImportRow.id).where(BankImportRow.file_sha256 == sha)).one()
    return str(found)


def _lock_import(unit: FinanceUnit, import_id: str) -> BankImportRow:
    row = unit.session.scalars(
        select(BankImportRow)
        .where(BankImportRow.id == import_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return row


def _import_batch(unit: FinanceUnit, import_id: str, batch: Sequence[StatementLine]) -> None:
    head = _lock_import(unit, import_id)
    if head.status == "complete":
        return
    done = set(
        unit.session.scalars(
            select(BankLineRow.line_no).where(
                BankLineRow.import_id == import_id,
                BankLineRow.line_no.in_([line.line_no for line in batch]),
            )
        )
    )
    todo = [line for line in batch if line.line_no not in done]
    if not todo:
        return
    seen = {
        h: (imp, no)
        for h, imp, no in unit.session.execute(
            select(BankLineRow.line_hash, BankLineRow.import_id, BankLineRow.line_no).where(
                BankLineRow.line_hash.in_([line.line_hash for line in todo])
            )
        )
    }
    evidence = _Evidence.gather(unit, [line for line in todo if line.line_hash not in seen])
    rows: list[BankLineRow] = []
    for line in todo:
        if line.line_hash in seen:
            earlier_import, earlier_line = seen[line.line_hash]
            rows.append(_duplicate(import_id, line, earlier_import, earlier_line))
        else:
            rows.append(_matched(unit, import_id, line, evidence.of(line)))
    # Added together at the end: one multi-row INSERT, not one per line between the payments.
    unit.session.add_all(rows)
    unit.session.flush()


def _duplicate(import_id: str, line: StatementLine, earlier_import: str, earlier_line: int) -> BankLineRow:
    # The original keeps the line's hash; this record of the repeat gets one of its own.
    own_hash = hashlib.sha256(f"{line.line_hash}|duplicate|{import_id}".encode()).hexdigest()
    return _line_row(
        import_id,
        line,
        status="duplicate",
        line_hash=own_hash,
        note=f"already imported (import {earlier_import}, line {earlier_line})",
    )


def _matched(
    unit: FinanceUnit, import_id: str, line: StatementLine, evidence: matching.Evidence
) -> BankLineRow:
    decision = matching.decide(line.amount_minor, line.currency, evidence)
    row = _line_row(
        import_id,
        line,
        status=decision.status,
        line_hash=line.line_hash,
        note=decision.message,
        candidates=list(decision.candidates),
    )
    if decision.status == "matched" and decision.customer_id is not None:
        try:
            with unit.session.begin_nested():  # a refused payment leaves no trace but the line
                payment = payments.record_payment(
                    unit,
                    {
                        "customer_id": decision.customer_id,
                        "received_on": line.booked_on.isoformat(),
                        "amount_minor": line.amount_minor,
                        "currency": line.currency,
                        "payer": line.payer or None,
                        "reference": line.reference,
                        "allocations": [
                            {"receivable_id": rid, "amount_minor": amount}
                            for rid, amount in decision.allocations
                        ],
                    },
                    source="bank_import",
                    bank_line_id=row.id,
                )
        except (ValidationError, Conflict, NotFound) as exc:
            row.status = "unmatched"
            row.note = f"matched {decision.customer_id} but the payment was refused: {exc.detail}"
            row.candidates = [{"customer_id": decision.customer_id}]
        else:
            row.customer_id = decision.customer_id
            row.payment_id = payment["id"]
    return row


def _line_row(
    import_id: str,
    line: StatementLine,
    *,
    status: str,
    line_hash: str,
    note: str | None,
    candidates: list[dict[str, Any]] | None = None,
) -> BankLineRow:
    return BankLineRow(
        id=new_id(),
        import_id=import_id,
        line_no=line.line_no,
        line_hash=line_hash,
        booked_on=line.booked_on,
        payer=line.payer,
        amount_minor=line.amount_minor,
        currency=line.currency,
        reference=line.reference,
        status=status,
        candidates=candidates or [],
        note=note,
    )


def _complete(unit: FinanceUnit, import_id: str, statement: Statement, now: datetime) -> BankImportRow:
    head = _lock_import(unit, import_id)
    if head.status != "complete":
        counts = _counts(unit, [import_id]).get(import_id, Counter())
        problems = [_problem_state(p) for p in statement.problems]
        for problem in statement.problems:
            counts[problem.status] += 1
        head.status = "complete"
        head.problems = problems
        head.rows_total = statement.rows
        head.summary = dict(counts)
        head.completed_at = now
        unit.audit(
            "bank_import",
            head.id,
            "created",
            {
                "filename": [None, head.filename],
                "rows": [None, statement.rows],
                "summary": [None, dict(counts)],
            },
            customer_id="",
        )
        unit.session.flush()
    return head


class _Evidence:
    """What one batch's lines need from the database, fetched in a few queries for the batch.
    Receivable rows stay live in the session: a payment recorded for one line lowers what the
    next line sees outstanding."""

    def __init__(self) -> None:
        self.by_order: dict[str, list[ReceivableRow]] = defaultdict(list)
        self.by_invoice: dict[str, list[ReceivableRow]] = defaultdict(list)
        self.customers: dict[str, dict[str, str]] = defaultdict(dict)  # folded name → id → name
        self.open_of: dict[str, list[ReceivableRow]] = defaultdict(list)  # customer → open rows

    @classmethod
    def gather(cls, unit: FinanceUnit, lines: Iterable[StatementLine]) -> _Evidence:
        found = cls()
        orders: set[str] = set()
        invoices: set[str] = set()
        folded: set[str] = set()
        for line in lines:
            o, i = matching.numbers_in(line.reference)
            orders |= o
            invoices |= i
            if line.payer:
                folded.add(folded_company_name(line.payer))
        invoice_targets: dict[str, tuple[str | None, str | None]] = {}
        if invoices:
            for number, receivable_id, order_id in unit.session.execute(
                select(InvoiceRow.number, InvoiceRow.receivable_id, InvoiceRow.order_id).where(
                    InvoiceRow.number.in_(invoices), InvoiceRow.status != "void"
                )
            ):
                invoice_targets[str(number)] = (receivable_id, order_id)
        by_id = {t[0] for t in invoice_targets.values() if t[0]}
        by_order_id = {t[1] for t in invoice_targets.values() if t[1] and not t[0]}
        conditions = []
        if orders:
            conditions.append(ReceivableRow.order_number.in_(orders))
        if by_order_id:
            conditions.append(ReceivableRow.order_id.in_(by_order_id))
        if by_id:
            conditions.append(ReceivableRow.id.in_(by_id))
        referenced = (
            list(unit.session.scalars(select(ReceivableRow).where(or_(*conditions)))) if conditions else []
        )
        for row in referenced:
            if row.order_number:
                found.by_order[row.order_number].append(row)
            found.by_order[row.order_id].append(row)
        for number, (receivable_id, order_id) in invoice_targets.items():
            found.by_invoice[number] = [
                r for r in referenced if (r.id == receivable_id if receivable_id else r.order_id == order_id)
            ]
        if folded:
            refs = unit.session.execute(
                select(customer_refs.c.id, customer_refs.c.name, customer_refs.c.name_folded).where(
                    customer_refs.c.name_folded.in_(folded), customer_refs.c.deleted.is_(False)
                )
            )
            for customer_id, name, name_folded in refs:
                found.customers[name_folded][customer_id] = name
            ids = {cid for named in found.customers.values() for cid in named}
            if ids:
                for row in unit.session.scalars(
                    select(ReceivableRow).where(
                        ReceivableRow.customer_id.in_(ids), ReceivableRow.status.in_(OPEN)
                    )
                ):
                    found.open_of[row.customer_id].append(row)
        return found

    def of(self, line: StatementLine) -> matching.Evidence:
        orders, invoices = matching.numbers_in(line.reference)
        rows: dict[str, ReceivableRow] = {}
        for number in orders:
            rows.update((r.id, r) for r in self.by_order.get(number, []))
        for number in invoices:
            rows.update((r.id, r) for r in self.by_invoice.get(number, []))
        named = self.customers.get(folded_company_name(line.payer), {}) if line.payer else {}
        named_items = [_item(r) for cid in named for r in self.open_of.get(cid, []) if r.status in OPEN]
        return matching.Evidence(
            referenced=[_item(r) for r in rows.values()], named_customers=dict(named), named_items=named_items
        )


def _item(row: ReceivableRow) -> matching.OpenItem:
    return matching.OpenItem(
        receivable_id=row.id,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        order_number=row.order_number,
        seq=row.seq,
        due_date=row.due_date,
        currency=row.currency,
        outstanding=balance_of(row).outstanding,
    )


# -- reads -----------------------------------------------------------------------------------------
def _load_import(unit: FinanceUnit, import_id: Any) -> BankImportRow:
    if not isinstance(import_id, str) or not import_id or len(import_id) > 64:
        raise ValidationError.for_field("import_id", "must be a non-empty string")
    row = unit.session.get(BankImportRow, import_id)
    if row is None:
        raise NotFound(f"bank import {import_id} does not exist")
    return row


def _reviewable(unit: FinanceUnit, line_id: Any) -> BankLineRow:
    if not isinstance(line_id, str) or not line_id or len(line_id) > 64:
        raise ValidationError.for_field("line_id", "must be a non-empty string")
    row = unit.session.scalars(
        select(BankLineRow)
        .where(BankLineRow.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(f"bank line {line_id} does not exist")
    if row.status not in REVIEWABLE:
        raise Conflict(
            f"bank line {line_id} is {row.status}, not awaiting review",
            [{"field": "line_id", "message": f"is {row.status}"}],
        )
    return row


def _counts(unit: FinanceUnit, import_ids: Sequence[str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    if not import_ids:
        return counts
    for import_id, status, n in unit.session.execute(
        select(BankLineRow.import_id, BankLineRow.status, func.count())
        .where(BankLineRow.import_id.in_(import_ids))
        .group_by(BankLineRow.import_id, BankLineRow.status)
    ):
        counts[import_id][status] = int(n)
    return counts


def import_state(row: BankImportRow, counts: Counter[str]) -> dict[str, Any]:
    counts = counts.copy()
    for problem in row.problems or []:
        counts[str(problem["status"])] += 1
    return {
        "id": row.id,
        "filename": row.filename,
        "file_sha256": row.file_sha256,
        "status": row.status,
        "rows": row.rows_total,
        "matched": counts["matched"],
        "unmatched": counts["unmatched"],
        "ambiguous": counts["ambiguous"],
        "duplicates": counts["duplicate"],
        "errors": counts["error"],
        "ignored": counts["ignored"],
        "resolved": counts["resolved"],
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
    }


def import_report(unit: FinanceUnit, row: BankImportRow, *, duplicate_file: bool) -> dict[str, Any]:
    stored = list(
        unit.session.scalars(
            select(BankLineRow).where(BankLineRow.import_id == row.id).order_by(BankLineRow.line_no)
        )
    )
    counts = Counter(line.status for line in stored)
    lines = [line_state(line) for line in stored] + [dict(p) for p in row.problems or []]
    lines.sort(key=lambda line: int(line["line_no"]))
    return {
        **import_state(row, counts),
        "import_id": row.id,
        "duplicate_file": duplicate_file,
        "lines": lines,
    }


def _problem_state(problem: LineProblem) -> dict[str, Any]:
    return {
        "line_no": problem.line_no,
        "status": problem.status,
        "payer": problem.payer,
        "reference": problem.reference,
        "message": problem.message,
    }


def line_state(row: BankLineRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "import_id": row.import_id,
        "line_no": row.line_no,
        "status": row.status,
        "booked_on": row.booked_on.isoformat(),
        "payer": row.payer,
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "reference": row.reference,
        "customer_id": row.customer_id,
        "payment_id": row.payment_id,
        "candidates": list(row.candidates or []),
        "message": row.note,
        "resolved_by": row.resolved_by,
        "resolved_at": isoformat(row.resolved_at),
    }


def _audited(
    unit: FinanceUnit, row: BankLineRow, before: dict[str, Any], action: str, customer_id: str
) -> dict[str, Any]:
    after = line_state(row)
    changes = diff(before, after)
    unit.audit("bank_line", row.id, action, changes, customer_id=customer_id)
    return after
