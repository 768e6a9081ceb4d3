"""How each finance kind is exported for a reindex: the same state functions its events use."""

from __future__ import annotations

from collections.abc import Sequence

from kernel.export import Exported, rows
from sqlalchemy import select

from finance.handlers import invoice_state, payments, receivable_state, write_offs
from finance.handlers.export import EXPORTS
from finance.storage.models import InvoiceRow, PaymentRow, ReceivableRow, WriteOffRow
from finance.storage.unit import FinanceUnit


def _receivables(unit: FinanceUnit, found: Sequence[ReceivableRow]) -> list[Exported]:
    today = receivable_state.business_today()
    return [Exported(receivable_state.receivable_state(row, today)) for row in found]


def _payments(unit: FinanceUnit, found: Sequence[PaymentRow]) -> list[Exported]:
    return [Exported(state) for state in payments.full_states(unit, found)]


def _invoices(unit: FinanceUnit, found: Sequence[InvoiceRow]) -> list[Exported]:
    return [Exported(invoice_state.invoice_state(row)) for row in found]


def _write_offs(unit: FinanceUnit, found: Sequence[WriteOffRow]) -> list[Exported]:
    receivables = {
        r.id: r
        for r in unit.session.scalars(
            select(ReceivableRow).where(ReceivableRow.id.in_({row.receivable_id for row in found}))
        )
    }
    return [Exported(write_offs.write_off_state(row, receivables.get(row.receivable_id))) for row in found]


EXPORTS.register("receivable", rows(ReceivableRow, _receivables))
EXPORTS.register("payment", rows(PaymentRow, _payments))
EXPORTS.register("invoice", rows(InvoiceRow, _invoices))
EXPORTS.register("write_off", rows(WriteOffRow, _write_offs))
