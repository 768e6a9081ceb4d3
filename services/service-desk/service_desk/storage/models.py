"""SQLAlchemy models of the service-desk database (owned by this service alone).

Every ticket carries the ownership its read policy needs (``customer_owner_id``,
``customer_team_id``, from the customer replica) and ``version`` (the event and search-document
version). SLA targets are absolute due times computed in business hours; a pause (waiting on the
customer) pushes them out by the business time it lasted.
"""

from __future__ import annotations

from datetime import date, datetime

from kernel.consumer import consumer_tables
from kernel.db import NAMING_CONVENTION
from kernel.notifications import notifications_table
from kernel.numbers import document_counters_table
from kernel.outbox import outbox_table
from kernel.replicas import customer_refs_table, directory_users_table
from kernel.uow import audit_table
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


TZ = DateTime(timezone=True)
ID = String(36)
USER = String(64)


class TicketRow(Base):
    __tablename__ = "tickets"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # T-2026-000001
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_owner_id: Mapped[str | None] = mapped_column(USER, index=True)
    customer_team_id: Mapped[str | None] = mapped_column(USER, index=True)
    contact_id: Mapped[str | None] = mapped_column(ID)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(30))
    assignee_id: Mapped[str | None] = mapped_column(USER, index=True)
    team_id: Mapped[str | None] = mapped_column(USER, index=True)  # the support team working it
    created_by: Mapped[str] = mapped_column(USER)
    # SLA: targets (moved out by pauses), when they were met, the open pause, warnings/breaches sent
    first_response_due: Mapped[datetime] = mapped_column(TZ)
    resolution_due: Mapped[datetime] = mapped_column(TZ)
    first_responded_at: Mapped[datetime | None] = mapped_column(TZ)
    resolved_at: Mapped[datetime | None] = mapped_column(TZ)
    closed_at: Mapped[datetime | None] = mapped_column(TZ)
    paused_at: Mapped[datetime | None] = mapped_column(TZ)
    sla_alerts: Mapped[list[str]] = mapped_column(JSONB, default=list)  # e.g. "resolution:near_breach"
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        Index(
            "ix_tickets_open_resolution_due",
            "resolution_due",
            postgresql_where="status IN ('new', 'in_progress', 'waiting_on_customer')",
        ),
        Index("ix_tickets_status_created", "status", "created_at"),
    )


class TicketEntryRow(Base):
    """The ticket's timeline: comments (internal or external) and its changes (status,
    assignment, SLA), oldest first."""

    __tablename__ = "ticket_entries"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # comment | status | assignment | sla | survey
    visibility: Mapped[str] = mapped_column(String(10))  # internal | external
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    actor_id: Mapped[str] = mapped_column(USER)
    at: Mapped[datetime] = mapped_column(TZ)


class AttachmentRow(Base):
    """Metadata of a file attached to a ticket (the bytes live in object storage, by key)."""

    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    entry_id: Mapped[str | None] = mapped_column(ID)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(500))
    uploaded_by: Mapped[str] = mapped_column(USER)
    uploaded_at: Mapped[datetime] = mapped_column(TZ)


class SurveyRow(Base):
    """One satisfaction survey per resolution of a ticket; answered once, through a signed link."""

    __tablename__ = "surveys"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    agent_id: Mapped[str | None] = mapped_column(USER, index=True)
    team_id: Mapped[str | None] = mapped_column(USER)
    sent_at: Mapped[datetime] = mapped_column(TZ)
    expires_at: Mapped[datetime] = mapped_column(TZ)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # its events' version


class CareVisitRow(Base):
    """A care visit (回访) scheduled as a customers-service task, once per trigger."""

    __tablename__ = "care_visits"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))  # ticket_resolved | order_placed
    trigger_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    due_on: Mapped[date] = mapped_column(Date)
    task_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (UniqueConstraint("trigger", "trigger_id"),)


class NotificationRow(Base):
    """Who was told what (SLA near-breach and breach), once per subject, kind and user."""

    __table__ = notifications_table(Base.metadata)
    id: Mapped[str]
    kind: Mapped[str]
    subject_id: Mapped[str]
    user_id: Mapped[str]
    customer_id: Mapped[str | None]
    message: Mapped[str]
    data: Mapped[dict[str, object]]
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class ComplaintCounterRow(Base):
    """Per customer, the version of its ``customer.complaint_raised`` aggregate (events about one
    customer's complaints must carry monotonic versions)."""

    __tablename__ = "complaint_counters"
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


# The customer's value tier decides care visits (VIP and important customers get them).
customer_refs = customer_refs_table(Base.metadata, Column("value_tier", String(20)))
directory_users = directory_users_table(Base.metadata)
document_counters = document_counters_table(Base.metadata)
outbox = outbox_table(Base.metadata)
audit_log = audit_table(Base.metadata)
consumer = consumer_tables(Base.metadata)  # processed_events + consumed_versions, for event handlers
