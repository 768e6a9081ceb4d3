"""Tables of the consumer probe service (imported by the service and by its tests)."""

from __future__ import annotations

from kernel.consumer import consumer_tables
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
TABLES = consumer_tables(metadata)
probe_state = Table(
    "probe_state",
    metadata,
    Column("aggregate_id", String(64), primary_key=True),
    Column("value", String(100), nullable=False),
    Column("version", Integer, nullable=False),
)
probe_applied = Table(
    "probe_applied",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
)
probe_attempts = Table(
    "probe_attempts",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("attempts", Integer, nullable=False),
)
