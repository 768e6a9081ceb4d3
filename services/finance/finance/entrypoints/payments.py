"""Entrypoints of the payments area: payments and their allocations, refunds, customer credit
(``finance.handlers.payments``, ``payment_reads``, ``refunds``) and the ledger check."""

from __future__ import annotations

from kernel.entrypoints import rpc

from finance.handlers import ledger_check, payment_reads, payment_voids, payments, refunds


class PaymentEntrypoints:
    record_payment = rpc(payments.record_manual_payment)
    allocate_payment = rpc(payments.allocate_payment)
    void_payment = rpc(payment_voids.void_payment)
    refund = rpc(refunds.refund)
    get_payment = rpc(payment_reads.get_payment)
    list_payments = rpc(payment_reads.list_payments)
    customer_credit = rpc(payment_reads.customer_credit)
    open_receivables_for_payment = rpc(payment_reads.open_receivables_for_payment)
    ledger_check = rpc(ledger_check.ledger_check)
