"""What the service desk keeps of other services' state: the customers' names, owners, teams
and value tiers (care visits go to VIP and important customers), and the gateway's users."""

from __future__ import annotations

from kernel.replicas import CustomerReplica

from service_desk.storage.models import customer_refs

CUSTOMERS = CustomerReplica(customer_refs, copy=("value_tier",))
