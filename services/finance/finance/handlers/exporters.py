"""How each finance kind is exported for a reindex: the same state functions its events use."""

from __future__ import annotations

from collections.abc import Sequence

from kernel.export import Exported, rows

from finance.handlers import payments, receivable_state
from finance.handlers.export import EXPORTS
from finance.storage.models import PaymentRow, ReceivableRow
from finance.storage.unit import FinanceUnit


def _receivables(unit: FinanceUnit, found: Sequence[ReceivableRow]) -> list[Exported]:
    today = receivable_state.business_today()
    return [Exported(receivable_state.receivable_state(row, today)) for row in found]


def _payments(unit: FinanceUnit, found: Sequence[PaymentRow]) -> list[Exported]:
    return [Exported(payments.full_state(unit, row)) for row in found]


EXPORTS.register("receivable", rows(ReceivableRow, _receivables))
EXPORTS.register("payment", rows(PaymentRow, _payments))
