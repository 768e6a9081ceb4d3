"""nameko entrypoints of the ``customers`` service: each runs one use case in a unit of work.

``kernel.entrypoints.rpc`` gives every entrypoint the handler's arguments with ``caller`` first,
the caller check, the transaction (retried on deadlock) and the typed errors.
"""

from __future__ import annotations

from kernel.entrypoints import rpc
from kernel.envelope import Envelope
from kernel.event_handlers import idempotent_event_handler
from kernel.identity import SYSTEM
from kernel.identity_events import IDENTITY_SOURCE, USER_UPSERTED
from kernel.nameko_ext import Database, Observability
from kernel.uow import Units
from nameko.rpc import rpc as plain_rpc
from nameko.timer import timer

from customers import contracts as c
from customers.handlers import contacts, customers, directory, follow_ups, records, tasks, transfer
from customers.ports import CustomersUnit
from customers.settings import CustomersSettings
from customers.storage.models import consumer
from customers.storage.repositories import SqlCustomersUnit, sql_units

OVERDUE_INTERVAL = CustomersSettings().overdue_check_seconds


class CustomersService:
    name = c.SERVICE

    db = Database()
    observability = Observability()

    @property
    def units(self) -> Units[SqlCustomersUnit]:
        return sql_units(self.db)

    @plain_rpc
    def ping(self) -> str:
        return "pong"

    create_customer = rpc(customers.create_customer)
    get_customer = rpc(customers.get_customer)
    update_customer = rpc(customers.update_customer)
    delete_customer = rpc(customers.delete_customer)
    list_customers = rpc(customers.list_customers)

    create_contact = rpc(contacts.create_contact)
    get_contact = rpc(contacts.get_contact)
    update_contact = rpc(contacts.update_contact)
    delete_contact = rpc(contacts.delete_contact)
    list_contacts = rpc(contacts.list_contacts)

    create_follow_up = rpc(follow_ups.create_follow_up)
    get_follow_up = rpc(follow_ups.get_follow_up)
    update_follow_up = rpc(follow_ups.update_follow_up)
    delete_follow_up = rpc(follow_ups.delete_follow_up)
    list_follow_ups = rpc(follow_ups.list_follow_ups)

    create_task = rpc(tasks.create_task)
    get_task = rpc(tasks.get_task)
    update_task = rpc(tasks.update_task)
    delete_task = rpc(tasks.delete_task)
    list_tasks = rpc(tasks.list_tasks)

    transfer_customers = rpc(transfer.transfer_customers)
    get_audit = rpc(records.get_audit)
    export = rpc(records.export)
    upsert_user = rpc(directory.upsert_user)

    @idempotent_event_handler(IDENTITY_SOURCE, USER_UPSERTED, tables=consumer)
    def on_identity_user_upserted(self, unit: CustomersUnit, event: Envelope) -> None:
        # Versions in order, once each; a team move re-scopes the user's customers.
        directory.user_upserted(unit, event)

    @timer(interval=OVERDUE_INTERVAL)
    def flag_overdue_tasks(self) -> None:
        while self.units.run(SYSTEM, tasks.flag_overdue_tasks) == tasks.OVERDUE_BATCH:
            pass
