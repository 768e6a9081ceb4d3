"""Who may read and who may change the customer hub's records: one place, per kind (DESIGN §5).

The read policies are the single source of the service's ``get`` check, its SQL list filters and
the ``acl`` of the search documents (``search.kinds.customers`` builds them from ``READ``). Every
state they read is in the published contract (``owner_id``/``team_id`` are carried by children).

Framework-free: the search indexer imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernel.access import AccessPolicy, user
from kernel.identity import Caller

# Customer basics (DESIGN §5): the customer's core data and its contacts, which is how finance
# reaches the payer and support the user who called.
BASICS_ROLES = ("finance", "support")

CUSTOMER = AccessPolicy.of("customer", roles=BASICS_ROLES)
CONTACT = AccessPolicy.of("contact", roles=BASICS_ROLES)
# The sales work: the owner and the team's managers. The author of a follow-up is not a grant:
# after a transfer the notes belong to the new owner, not to whoever wrote them.
FOLLOW_UP = AccessPolicy.of("follow_up")
# The assignee reads a task while it is open (it is on their to-do list); a done task is the
# customer's history, which stays with the owner (and leaves with a transfer).
TASK = AccessPolicy.of("task", users=(user("assignee_id", only_if={"status": ("open",)}),))
# A customer's audit trail: the owner, their managers, admins.
AUDIT = AccessPolicy.of("audit")

READ: dict[str, AccessPolicy] = {p.kind: p for p in (CUSTOMER, CONTACT, FOLLOW_UP, TASK)}

# Fields of a child's state that come from its customer: a policy reading only these (and no
# per-record grant) decides for all of a customer's children of its kind at once.
CUSTOMER_CONTEXT = frozenset({"customer_id", "owner_id", "team_id"})

# -- writes -------------------------------------------------------------------------------------
# Who may change a record is narrower than who may read it, and said here beside the reads.

# What the assignee of an open task may change on it without being a writer of the customer.
ASSIGNEE_MAY_CHANGE = frozenset({"status"})


def can_write(caller: Caller, state: Mapping[str, Any]) -> bool:
    """The customer's records: admin, the team's manager, the owner if they sell."""
    if caller.is_admin:
        return True
    team_id = state.get("team_id")
    if caller.has("manager") and caller.team_id is not None and caller.team_id == team_id:
        return True
    return caller.has("sales") and caller.user_id == state.get("owner_id")


def assignee_may_change(caller: Caller, task: Mapping[str, Any], fields: set[str]) -> bool:
    """The assignee reports progress ("done", "cancelled") on a task they can read."""
    return (
        caller.user_id == task.get("assignee_id")
        and TASK.can_read(caller, task)
        and fields <= ASSIGNEE_MAY_CHANGE
    )
