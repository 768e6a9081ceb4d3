"""Coarse capabilities of the finance routes (the service makes the fine decisions: a seller
reads only their customers' records)."""

from __future__ import annotations

FINANCE = frozenset({"admin", "finance"})
READERS = frozenset({"admin", "finance", "manager", "sales"})

CAPABILITIES: dict[str, frozenset[str]] = {
    "receivables:read": READERS,
    "payments:read": READERS,
    "payments:write": FINANCE,
    "invoices:read": READERS,
    "invoices:write": FINANCE,
    "write_offs:read": READERS,  # a seller reads their customers' (the service filters)
    "write_offs:write": FINANCE,
    "write_offs:approve": FINANCE,  # the service requires finance + manager (or admin)
    "bank_import:write": FINANCE,
    "ledger:check": frozenset({"admin"}),
}
