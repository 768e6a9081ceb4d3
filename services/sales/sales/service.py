"""nameko service ``sales``: one mixin of thin entrypoints per area, joined here.

``kernel.entrypoints.rpc`` gives every RPC entrypoint the handler's arguments with ``caller``
first, the caller check, the transaction (retried on deadlock) and the typed errors.
"""

from __future__ import annotations

from kernel.customers_rpc import RpcCustomers
from kernel.nameko_ext import Database, Observability
from kernel.uow import Units
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as plain_rpc

from sales.contracts import SERVICE
from sales.entrypoints.analytics import AnalyticsEntrypoints
from sales.entrypoints.deals import DealEntrypoints
from sales.entrypoints.export import ExportEntrypoints
from sales.entrypoints.leads import LeadEntrypoints
from sales.entrypoints.opportunities import OpportunityEntrypoints
from sales.entrypoints.quotes import QuoteEntrypoints
from sales.entrypoints.replicas import ReplicaEntrypoints
from sales.storage.unit import SalesUnit, sql_units


class SalesService(
    LeadEntrypoints,
    OpportunityEntrypoints,
    QuoteEntrypoints,
    DealEntrypoints,
    AnalyticsEntrypoints,
    ReplicaEntrypoints,
    ExportEntrypoints,
):
    name = SERVICE

    db = Database()
    observability = Observability()
    customers_rpc = RpcProxy("customers")

    @property
    def units(self) -> Units[SalesUnit]:
        return sql_units(self.db, RpcCustomers(self.customers_rpc))

    @plain_rpc
    def ping(self) -> str:
        return "pong"
