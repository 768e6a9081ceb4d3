"""Who may read and who may change service-desk records: one place, per kind (DESIGN §5).

The read policies are the single source of the service's ``get`` check, its SQL list filters and
the ``acl`` of the search documents.

- Support sees and works every ticket.
- A seller sees, read-only, the tickets of the customers they own (``customer_owner_id``); their
  team's manager the team's (``customer_team_id``).
- Finance sees none (no grant names it; deny by default).

Framework-free: the search indexer and the gateway import this module.
"""

from __future__ import annotations

from kernel.access import AccessPolicy
from kernel.identity import Caller

SUPPORT_ROLES = ("support",)

TICKET = AccessPolicy.of(
    "ticket", roles=SUPPORT_ROLES, owner_field="customer_owner_id", team_field="customer_team_id"
)

READ: dict[str, AccessPolicy] = {p.kind: p for p in (TICKET,)}


def can_write(caller: Caller) -> bool:
    """Tickets, comments, status changes, surveys' reports: support (and admins)."""
    return caller.is_admin or caller.has("support")
