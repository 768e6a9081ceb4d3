"""Coarse capabilities of the service-desk routes (the service makes the fine decisions: a seller
reads only their customers' tickets)."""

from __future__ import annotations

SUPPORT = frozenset({"admin", "support"})
READERS = frozenset({"admin", "support", "manager", "sales"})

CAPABILITIES: dict[str, frozenset[str]] = {
    "tickets:read": READERS,
    "tickets:write": SUPPORT,
    "surveys:read": frozenset({"admin", "support", "manager"}),
}
