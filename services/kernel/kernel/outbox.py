"""Transactional outbox and consumer idempotency tables (SQLAlchemy Core, framework-free).

A domain change and its events commit in one transaction (``add_events``); the relay
(``kernel.relay``) publishes them afterwards. A statement-level trigger NOTIFYs the relay so
events leave within milliseconds without polling hard.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, MetaData, String, Table, Text, func
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.orm import Session

from kernel.envelope import Envelope, events_exchange

NOTIFY_CHANNEL = "panorama_outbox"


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=False), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("exchange", String(100), nullable=False),
        Column("routing_key", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
    )
    Index("ix_outbox_unpublished", table.c.seq, postgresql_where=table.c.published_at.is_(None))
    return table


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


# Used by each service's alembic migration, next to the tables above.
CREATE_NOTIFY_TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION panorama_outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION panorama_outbox_notify();
"""
DROP_NOTIFY_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS panorama_outbox_notify();
"""


class Outbox:
    def __init__(self, table: Table, service: str) -> None:
        self.table = table
        self.exchange = events_exchange(service)

    def rows(self, events: Iterable[Envelope]) -> list[dict[str, str]]:
        return [
            {"event_id": e.id, "exchange": self.exchange, "routing_key": e.type, "body": e.to_json()}
            for e in events
        ]

    def insert_statement(self, events: Iterable[Envelope]) -> Insert:
        """One multi-row INSERT of ``events``, in their order (so is their ``seq``)."""
        return insert(self.table).values(self.rows(events))

    def add_events(self, session: Session, events: Iterable[Envelope]) -> None:
        rows = self.rows(events)
        if rows:
            session.execute(self.table.insert(), rows)


def claim_event(session: Session, table: Table, event_id: str) -> bool:
    """Record that ``event_id`` is being handled; False when it was already (a redelivery)."""
    result = session.execute(
        insert(table).values(event_id=event_id).on_conflict_do_nothing(index_elements=["event_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
