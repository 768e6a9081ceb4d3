"""What finance keeps of other services' state: the customers' names (folded, for matching bank
payers), owners and teams, and the gateway's users (managers hear of overdue instalments)."""

from __future__ import annotations

from kernel.replicas import CustomerReplica

from finance.storage.models import customer_refs

CUSTOMERS = CustomerReplica(customer_refs)
