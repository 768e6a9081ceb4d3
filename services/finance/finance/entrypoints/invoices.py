"""Entrypoints of the invoices and write-offs areas (handlers in ``finance.handlers``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from finance.handlers import invoices, write_offs


class InvoiceEntrypoints:
    create_invoice = rpc(invoices.create_invoice)
    update_invoice = rpc(invoices.update_invoice)
    issue_invoice = rpc(invoices.issue_invoice)
    mark_invoice_paid = rpc(invoices.mark_invoice_paid)
    void_invoice = rpc(invoices.void_invoice)
    get_invoice = rpc(invoices.get_invoice)
    list_invoices = rpc(invoices.list_invoices)


class WriteOffEntrypoints:
    request_write_off = rpc(write_offs.request_write_off)
    approve_write_off = rpc(write_offs.approve_write_off)
    reject_write_off = rpc(write_offs.reject_write_off)
    get_write_off = rpc(write_offs.get_write_off)
    list_write_offs = rpc(write_offs.list_write_offs)
