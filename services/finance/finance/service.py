"""nameko service ``finance``: one mixin of thin entrypoints per area, joined here.

``kernel.entrypoints.rpc`` gives every RPC entrypoint the handler's arguments with ``caller``
first, the caller check, the transaction (retried on deadlock) and the typed errors.
"""

from __future__ import annotations

from kernel.customers_rpc import RpcCustomers
from kernel.nameko_ext import Database, Observability
from kernel.replicas import replica_entrypoints
from kernel.uow import Units
from nameko.rpc import RpcProxy
from nameko.rpc import rpc as plain_rpc

from finance.contracts import SERVICE
from finance.entrypoints.bank import BankEntrypoints
from finance.entrypoints.collections import CollectionsEntrypoints
from finance.entrypoints.export import ExportEntrypoints
from finance.entrypoints.invoices import InvoiceEntrypoints, WriteOffEntrypoints
from finance.entrypoints.payments import PaymentEntrypoints
from finance.entrypoints.receivables import ReceivableEntrypoints
from finance.handlers.replicas import CUSTOMERS
from finance.storage.models import consumer, directory_users
from finance.storage.unit import FinanceUnit, sql_units

ReplicaEntrypoints = replica_entrypoints(CUSTOMERS, directory_users, consumer)


class FinanceService(
    ReceivableEntrypoints,
    PaymentEntrypoints,
    BankEntrypoints,
    CollectionsEntrypoints,
    InvoiceEntrypoints,
    WriteOffEntrypoints,
    ExportEntrypoints,
    ReplicaEntrypoints,  # type: ignore[valid-type,misc]
):
    name = SERVICE

    db = Database()
    observability = Observability()
    customers_rpc = RpcProxy("customers")

    @property
    def units(self) -> Units[FinanceUnit]:
        return sql_units(self.db, RpcCustomers(self.customers_rpc))

    @plain_rpc
    def ping(self) -> str:
        return "pong"
