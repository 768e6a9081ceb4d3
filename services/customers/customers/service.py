"""nameko entrypoints of the ``customers`` service: parse the caller, delegate to CustomerHub."""

from __future__ import annotations

from typing import Any

from kernel.envelope import Envelope
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.event_handlers import idempotent_event_handler
from kernel.identity import Caller
from kernel.identity_events import IDENTITY_SOURCE, USER_UPSERTED
from kernel.nameko_ext import Database, Observability
from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy.orm import Session

from customers.app import CustomerHub
from customers.directory_sync import HubRecordEvents, apply_user_upserted
from customers.settings import CustomersSettings
from customers.storage.models import consumer

EXPECTED = (ValidationError, NotFound, PermissionDenied, Conflict)
OVERDUE_INTERVAL = CustomersSettings().overdue_check_seconds


def _caller(payload: Any) -> Caller:
    return Caller.from_payload(payload)


class CustomersService:
    name = "customers"

    db = Database()
    observability = Observability()

    @property
    def hub(self) -> CustomerHub:
        return CustomerHub(self.db)

    @rpc
    def ping(self) -> str:
        return "pong"

    # customers
    @rpc(expected_exceptions=EXPECTED)
    def create_customer(self, caller: Any, data: Any, force: bool = False) -> dict[str, Any]:
        return self.hub.create_customer(_caller(caller), data, force=force)

    @rpc(expected_exceptions=EXPECTED)
    def get_customer(self, caller: Any, customer_id: Any) -> dict[str, Any]:
        return self.hub.get_customer(_caller(caller), customer_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_customer(
        self, caller: Any, customer_id: Any, changes: Any, expected_version: Any = None, force: bool = False
    ) -> dict[str, Any]:
        return self.hub.update_customer(_caller(caller), customer_id, changes, expected_version, force=force)

    @rpc(expected_exceptions=EXPECTED)
    def delete_customer(self, caller: Any, customer_id: Any, expected_version: Any = None) -> dict[str, Any]:
        return self.hub.delete_customer(_caller(caller), customer_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def list_customers(
        self, caller: Any, filters: Any = None, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        return self.hub.list_customers(_caller(caller), filters, cursor, limit)

    # contacts
    @rpc(expected_exceptions=EXPECTED)
    def create_contact(self, caller: Any, customer_id: Any, data: Any) -> dict[str, Any]:
        return self.hub.create_contact(_caller(caller), customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_contact(self, caller: Any, contact_id: Any) -> dict[str, Any]:
        return self.hub.get_child(_caller(caller), "contact", contact_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_contact(
        self, caller: Any, contact_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.hub.update_contact(_caller(caller), contact_id, changes, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_contact(self, caller: Any, contact_id: Any, expected_version: Any = None) -> dict[str, Any]:
        return self.hub.delete_child(_caller(caller), "contact", contact_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def list_contacts(
        self, caller: Any, customer_id: Any, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        return self.hub.list_children(_caller(caller), "contact", customer_id, cursor, limit)

    # follow-ups
    @rpc(expected_exceptions=EXPECTED)
    def create_follow_up(self, caller: Any, customer_id: Any, data: Any) -> dict[str, Any]:
        return self.hub.create_follow_up(_caller(caller), customer_id, data)

    @rpc(expected_exceptions=EXPECTED)
    def get_follow_up(self, caller: Any, follow_up_id: Any) -> dict[str, Any]:
        return self.hub.get_child(_caller(caller), "follow_up", follow_up_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_follow_up(
        self, caller: Any, follow_up_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.hub.update_follow_up(_caller(caller), follow_up_id, changes, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_follow_up(
        self, caller: Any, follow_up_id: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.hub.delete_child(_caller(caller), "follow_up", follow_up_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def list_follow_ups(
        self, caller: Any, customer_id: Any, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        return self.hub.list_children(_caller(caller), "follow_up", customer_id, cursor, limit)

    # tasks
    @rpc(expected_exceptions=EXPECTED)
    def create_task(self, caller: Any, data: Any) -> dict[str, Any]:
        return self.hub.create_task(_caller(caller), data)

    @rpc(expected_exceptions=EXPECTED)
    def get_task(self, caller: Any, task_id: Any) -> dict[str, Any]:
        return self.hub.get_child(_caller(caller), "task", task_id)

    @rpc(expected_exceptions=EXPECTED)
    def update_task(
        self, caller: Any, task_id: Any, changes: Any, expected_version: Any = None
    ) -> dict[str, Any]:
        return self.hub.update_task(_caller(caller), task_id, changes, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def delete_task(self, caller: Any, task_id: Any, expected_version: Any = None) -> dict[str, Any]:
        return self.hub.delete_child(_caller(caller), "task", task_id, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def list_tasks(
        self, caller: Any, filters: Any = None, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        return self.hub.list_tasks(_caller(caller), filters, cursor, limit)

    # ownership, audit, export, directory
    @rpc(expected_exceptions=EXPECTED)
    def transfer_customers(
        self, caller: Any, from_user_id: Any, to_user_id: Any, customer_ids: Any = None, reason: Any = None
    ) -> dict[str, Any]:
        return self.hub.transfer_customers(_caller(caller), from_user_id, to_user_id, customer_ids, reason)

    @rpc(expected_exceptions=EXPECTED)
    def get_audit(
        self, caller: Any, customer_id: Any, cursor: Any = None, limit: Any = None
    ) -> dict[str, Any]:
        return self.hub.get_audit(_caller(caller), customer_id, cursor, limit)

    @rpc(expected_exceptions=EXPECTED)
    def export(self, caller: Any, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
        return self.hub.export(_caller(caller), kind, cursor, limit)

    @rpc(expected_exceptions=EXPECTED)
    def upsert_user(self, caller: Any, user: Any) -> dict[str, Any]:
        return self.hub.upsert_user(_caller(caller), user)

    @idempotent_event_handler(IDENTITY_SOURCE, USER_UPSERTED, tables=consumer)
    def on_identity_user_upserted(self, session: Session, event: Envelope) -> None:
        # Versions in order; a team move re-scopes the user's customers (directory_sync).
        apply_user_upserted(session, event, HubRecordEvents(self.hub))

    @timer(interval=OVERDUE_INTERVAL)
    def flag_overdue_tasks(self) -> None:
        while self.hub.flag_overdue_tasks() == 500:
            pass
