"""Coarse capabilities of the sales routes (services make the fine decisions)."""

from __future__ import annotations

SELLERS = frozenset({"admin", "manager", "sales"})
DEALS_READERS = frozenset({"admin", "manager", "sales", "finance"})

CAPABILITIES: dict[str, frozenset[str]] = {
    "leads:read": SELLERS,
    "leads:write": SELLERS,
    "opportunities:read": SELLERS,
    "opportunities:write": SELLERS,
    "quotes:read": DEALS_READERS,
    "quotes:write": SELLERS,
    "quotes:approve": frozenset({"admin", "manager"}),
    "contracts:read": DEALS_READERS,
    "contracts:write": SELLERS,
    "contracts:approve": frozenset({"admin", "manager"}),
    "orders:read": DEALS_READERS,
    "orders:write": SELLERS,
    "analytics:read": frozenset({"admin", "manager", "sales"}),
}
