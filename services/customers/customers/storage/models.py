"""SQLAlchemy models of the customers database (owned by this service alone)."""

from __future__ import annotations

from datetime import date, datetime

from kernel.consumer import consumer_tables
from kernel.db import NAMING_CONVENTION
from kernel.outbox import outbox_table, processed_events_table
from kernel.uow import audit_table
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


TZ = DateTime(timezone=True)


class CustomerRow(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # kernel.text.company_key
    short_name: Mapped[str | None] = mapped_column(String(60))
    tax_id: Mapped[str | None] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    value_tier: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("uq_customers_tax_id", "tax_id", unique=True, postgresql_where="tax_id IS NOT NULL"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
    )


class ContactRow(Base):
    __tablename__ = "contacts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    phones: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(254)), default=list)
    wechat_id: Mapped[str | None] = mapped_column(String(64))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)


class FollowUpRow(Base):
    __tablename__ = "follow_ups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # No ON DELETE action: deleting a contact clears this through the service, which publishes
    # and audits the follow-ups it changes (migration 0002).
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(TZ)
    author_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)


class TaskRow(Base):
    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(TZ)
    assignee_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime | None] = mapped_column(TZ)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(TZ)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "ix_tasks_open_due", "due_at", postgresql_where="status = 'open' AND overdue_notified_at IS NULL"
        ),
    )


class DirectoryUserRow(Base):
    """Replica of the gateway's users, so owners and assignees can be validated locally."""

    __tablename__ = "directory_users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(100))
    team_id: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(TZ)


outbox = outbox_table(Base.metadata)
audit_log = audit_table(Base.metadata)
processed_events = processed_events_table(Base.metadata)
consumer = consumer_tables(Base.metadata)  # processed_events + consumed_versions, for event handlers
