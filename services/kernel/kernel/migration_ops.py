"""The kernel's own tables in a service's alembic revisions (call inside ``upgrade`` and
``downgrade``), built from the same factories as the runtime metadata, so a revision never
re-types their DDL.

``naming_convention`` is the one of the service's metadata (constraint names follow it, as
autogenerate would have named them); the gateway's metadata has none, so PostgreSQL's default
names (``outbox_pkey``) apply there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from alembic import op
from alembic.operations.ops import CreateIndexOp, CreateTableOp, DropIndexOp, DropTableOp
from sqlalchemy import Column, MetaData, Table

from kernel.consumer import consumed_versions_table
from kernel.numbers import document_counters_table
from kernel.outbox import (
    CREATE_NOTIFY_TRIGGER_SQL,
    DROP_NOTIFY_TRIGGER_SQL,
    outbox_table,
    processed_events_table,
)
from kernel.replicas import customer_refs_table, directory_users_table
from kernel.uow import audit_table

Naming = Mapping[str, Any] | None


def _table(factory: Callable[[MetaData], Table], naming_convention: Naming) -> Table:
    return factory(MetaData(naming_convention=dict(naming_convention)) if naming_convention else MetaData())


def create_table(factory: Callable[[MetaData], Table], naming_convention: Naming = None) -> None:
    table = _table(factory, naming_convention)
    op.invoke(CreateTableOp.from_table(table))
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        op.invoke(CreateIndexOp.from_index(index))


def drop_table(factory: Callable[[MetaData], Table], naming_convention: Naming = None) -> None:
    table = _table(factory, naming_convention)
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        op.invoke(DropIndexOp.from_index(index))
    op.invoke(DropTableOp.from_table(table))


def create_outbox(naming_convention: Naming = None) -> None:
    """The outbox table, its unpublished index and the trigger that wakes the relay."""
    create_table(outbox_table, naming_convention)
    op.execute(CREATE_NOTIFY_TRIGGER_SQL)


def drop_outbox(naming_convention: Naming = None) -> None:
    op.execute(DROP_NOTIFY_TRIGGER_SQL)
    drop_table(outbox_table, naming_convention)


def create_audit_log(naming_convention: Naming = None) -> None:
    create_table(audit_table, naming_convention)


def drop_audit_log(naming_convention: Naming = None) -> None:
    drop_table(audit_table, naming_convention)


def create_processed_events(naming_convention: Naming = None) -> None:
    create_table(processed_events_table, naming_convention)


def drop_processed_events(naming_convention: Naming = None) -> None:
    drop_table(processed_events_table, naming_convention)


def create_consumed_versions(naming_convention: Naming = None) -> None:
    create_table(consumed_versions_table, naming_convention)


def drop_consumed_versions(naming_convention: Naming = None) -> None:
    drop_table(consumed_versions_table, naming_convention)


def create_service_tables(
    naming_convention: Naming = None, *, customer_ref_columns: Sequence[Column[Any]] = ()
) -> None:
    """Every kernel table a service on the platform has: audit log, outbox (+ relay trigger),
    idempotent-consumer tables, the customer and user replicas and the document counters.
    ``customer_ref_columns``: the service's extra replica columns (as in its models)."""
    create_audit_log(naming_convention)
    create_outbox(naming_convention)
    create_processed_events(naming_convention)
    create_consumed_versions(naming_convention)
    create_table(lambda metadata: customer_refs_table(metadata, *customer_ref_columns), naming_convention)
    create_table(directory_users_table, naming_convention)
    create_table(document_counters_table, naming_convention)


def drop_service_tables(naming_convention: Naming = None) -> None:
    drop_table(document_counters_table, naming_convention)
    drop_table(directory_users_table, naming_convention)
    drop_table(customer_refs_table, naming_convention)
    drop_consumed_versions(naming_convention)
    drop_processed_events(naming_convention)
    drop_outbox(naming_convention)
    drop_audit_log(naming_convention)
