"""Who may read and who may change finance records: one place, per kind (DESIGN §5).

The read policies are the single source of the service's ``get`` check, its SQL list filters and
the ``acl`` of the search documents.

- Finance sees and edits every financial record.
- A seller sees, read-only, the records of the orders they sold (``owner_id``) and of the
  customers they own (``customer_owner_id``); their team's manager sees the team's.
- Support sees none (no grant names it; deny by default).

Framework-free: the search indexer and the gateway import this module.
"""

from __future__ import annotations

from kernel.access import AccessPolicy, role, user
from kernel.identity import Caller

FINANCE_ROLES = ("finance",)
SHARED = user("customer_owner_id")

RECEIVABLE = AccessPolicy.of("receivable", roles=FINANCE_ROLES, users=(SHARED,))
PAYMENT = AccessPolicy.of("payment", roles=FINANCE_ROLES, users=(SHARED,))
INVOICE = AccessPolicy.of("invoice", roles=FINANCE_ROLES, users=(SHARED,))
# A write-off is read like the receivable it settles (a seller sees their customer's bad debt).
WRITE_OFF = AccessPolicy.of("write_off", roles=FINANCE_ROLES, users=(SHARED,))

# Bank imports and their lines name no customer until matched: finance (and admins) only.
BANK = AccessPolicy("bank_line", (role("finance"),))

READ: dict[str, AccessPolicy] = {p.kind: p for p in (RECEIVABLE, PAYMENT, INVOICE, WRITE_OFF)}


# -- writes -------------------------------------------------------------------------------------
def can_write(caller: Caller) -> bool:
    """Payments, allocations, invoices, refunds, write-off requests: finance (and admins)."""
    return caller.is_admin or caller.has("finance")


def can_approve_write_off(caller: Caller, requested_by: str | None) -> bool:
    """Bad debt needs a finance manager (finance + manager roles) or an admin, never the requester."""
    if caller.user_id == requested_by and not caller.is_admin:
        return False
    return caller.is_admin or (caller.has("finance") and caller.has("manager"))
