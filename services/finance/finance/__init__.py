"""Panorama finance: receivables from orders, invoices, payments (回款), overdue and credit risk."""
