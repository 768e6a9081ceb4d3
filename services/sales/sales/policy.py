"""Who may read and who may change sales records: one place, per kind (DESIGN §5).

The read policies are the single source of the service's ``get`` check, its SQL list filters and
the ``acl`` of the search documents (``search.kinds.sales`` builds them from ``READ``).

- A sales user sees their own records and the records "shared" with them: those on customers
  they own (``customer_owner_id``), whoever sells on them.
- A manager sees their team's (the ``team:`` principal is held by managers only).
- Finance sees quotes, contracts and orders (what it invoices and collects).
- A lead in the pool is visible to every sales user: that is how it gets claimed.

Framework-free: the search indexer and the gateway import this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.access import AccessPolicy, Grant, user
from kernel.identity import Caller

POOL = Grant("role", value="sales", only_if=(("status", ("pooled",)),))
SHARED = user("customer_owner_id")
FINANCIAL_ROLES = ("finance",)

LEAD = AccessPolicy.of("lead", users=(POOL, SHARED))
OPPORTUNITY = AccessPolicy.of("opportunity", users=(SHARED,))
QUOTE = AccessPolicy.of("quote", roles=FINANCIAL_ROLES, users=(SHARED,))
CONTRACT = AccessPolicy.of("contract", roles=FINANCIAL_ROLES, users=(SHARED,))
ORDER = AccessPolicy.of("order", roles=FINANCIAL_ROLES, users=(SHARED,))

READ: dict[str, AccessPolicy] = {p.kind: p for p in (LEAD, OPPORTUNITY, QUOTE, CONTRACT, ORDER)}


# -- writes -------------------------------------------------------------------------------------
def can_write(caller: Caller, state: Mapping[str, Any]) -> bool:
    """A sales record: admin, the team's manager, the owner if they sell."""
    if caller.is_admin:
        return True
    if is_team_manager(caller, state.get("team_id")):
        return True
    return caller.has("sales") and caller.user_id == state.get("owner_id")


def is_team_manager(caller: Caller, team_id: Any) -> bool:
    return caller.has("manager") and caller.team_id is not None and caller.team_id == team_id


def can_approve(caller: Caller, state: Mapping[str, Any]) -> bool:
    """Approvals (discounted quotes, special-price contracts): the team's manager or an admin,
    never the person asking for it."""
    if caller.user_id == state.get("owner_id") and not caller.is_admin:
        return False
    return caller.is_admin or is_team_manager(caller, state.get("team_id"))
