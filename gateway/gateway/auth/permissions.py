"""Coarse, deny-by-default permissions checked at the gateway.

Services make the fine decisions (whose records a caller sees or changes); the gateway only
refuses what a role can never do, before spending an RPC on it. A capability missing from this
table is denied to everyone.
"""

from __future__ import annotations

from kernel.errors import PermissionDenied

from gateway.auth.records import UserRecord

EVERYONE = frozenset({"admin", "manager", "sales", "finance", "support"})
SELLERS = frozenset({"admin", "manager", "sales"})

CAPABILITIES: dict[str, frozenset[str]] = {
    "customers:read": EVERYONE,  # finance and support see customer basics
    "customers:write": SELLERS,
    "customers:transfer": frozenset({"admin", "manager"}),
    "customers:audit": SELLERS,
    # finance and support read contacts (customer basics: how finance reaches the payer); the
    # same roles customers.policy.CONTACT grants, so the API and search agree
    "contacts:read": EVERYONE,
    "contacts:write": SELLERS,
    "follow_ups:read": SELLERS,
    "follow_ups:write": SELLERS,
    "tasks:read": SELLERS,
    "tasks:write": SELLERS,
    "search": EVERYONE,
    "users:read": frozenset({"admin", "manager"}),
    "users:admin": frozenset({"admin"}),
}


def add_capabilities(extra: dict[str, frozenset[str]]) -> None:
    """A service package's capabilities (``ServiceModule.capabilities``); one name, one meaning."""
    for name, roles in extra.items():
        if CAPABILITIES.get(name, roles) != roles:
            raise ValueError(f"capability {name!r} is defined twice with different roles")
        CAPABILITIES[name] = frozenset(roles)


def allowed(user: UserRecord, capability: str) -> bool:
    return user.has_any(CAPABILITIES.get(capability, frozenset()))


def require(user: UserRecord, capability: str) -> None:
    if not allowed(user, capability):
        raise PermissionDenied(f"your role does not allow {capability}")
