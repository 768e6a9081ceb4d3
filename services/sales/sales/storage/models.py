"""SQLAlchemy models of the sales database (owned by this service alone).

Money is integer minor units (``BigInteger``) beside a currency code; percentages are
``Numeric`` (exact), never floats. Every aggregate row carries ``version`` (the event and
search-document version) and the ownership the read policies need (``owner_id``, ``team_id``,
``customer_owner_id``), copied from the customer replica so one row answers "who may read it".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from kernel.consumer import consumer_tables
from kernel.db import NAMING_CONVENTION
from kernel.outbox import outbox_table
from kernel.replicas import customer_refs_table, directory_users_table
from kernel.uow import audit_table
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sales.storage.funnel_sql import OPEN_STAGES_SQL, REGRESSIVE_SQL


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


TZ = DateTime(timezone=True)
ID = String(36)
USER = String(64)


# -- replicas of other services' state (kept from their events) --------------------------------
class DirectoryUserRow(Base):
    """The gateway's users (identity ``user.upserted``): teams for assignment and approvals."""

    __table__ = directory_users_table(Base.metadata)
    id: Mapped[str]
    username: Mapped[str]
    display_name: Mapped[str | None]
    team_id: Mapped[str | None]
    roles: Mapped[list[str]]
    active: Mapped[bool]
    updated_at: Mapped[datetime]


class CustomerRefRow(Base):
    """What sales knows of a customer (``customers.events``, or an RPC read when not yet here):
    its name goes on every sales record and search document, its owner and team into the ACL."""

    __table__ = customer_refs_table(Base.metadata)
    id: Mapped[str]
    name: Mapped[str]
    name_folded: Mapped[str]
    owner_id: Mapped[str]
    team_id: Mapped[str | None]
    deleted: Mapped[bool]
    version: Mapped[int]  # the customer's aggregate version
    updated_at: Mapped[datetime]


# -- leads and the lead pool ----------------------------------------------------------------------
class LeadRow(Base):
    __tablename__ = "leads"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(32))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(20))  # channel: web_form, event, referral, call, api_import, …
    region: Mapped[str | None] = mapped_column(String(100))
    grade: Mapped[str] = mapped_column(String(1))  # A / B / C
    score: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pooled, assigned, converted, disqualified
    owner_id: Mapped[str | None] = mapped_column(USER, index=True)  # None: in the pool
    team_id: Mapped[str | None] = mapped_column(USER, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(TZ)
    last_follow_up_at: Mapped[datetime | None] = mapped_column(TZ)
    customer_id: Mapped[str | None] = mapped_column(ID)  # set by conversion
    customer_name: Mapped[str | None] = mapped_column(String(200))  # kept from the customer ref
    customer_owner_id: Mapped[str | None] = mapped_column(USER)
    converted_at: Mapped[datetime | None] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_leads_assigned_open", "assigned_at", postgresql_where="status = 'assigned'"),)


class AssignmentRuleRow(Base):
    """How a team's incoming leads are dealt out: round-robin, or by region / grade, with a cap."""

    __tablename__ = "lead_assignment_rules"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(USER, index=True)
    strategy: Mapped[str] = mapped_column(String(20))  # round_robin, region, grade
    region: Mapped[str | None] = mapped_column(String(100))  # strategy "region": leads of this region
    grade: Mapped[str | None] = mapped_column(String(1))  # strategy "grade": leads of this grade
    members: Mapped[list[str]] = mapped_column(ARRAY(USER), default=list)
    daily_cap: Mapped[int] = mapped_column(Integer)  # leads per member per day
    next_index: Mapped[int] = mapped_column(Integer, default=0)  # round-robin position
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower first
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)


class LeadAssignmentRow(Base):
    """Every time a lead gets an owner (claim, assignment, rule, creation): the daily caps count
    these, and ``ended_at`` says when the owner let go of it (released, recycled, reassigned)."""

    __tablename__ = "lead_assignments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(USER)
    team_id: Mapped[str | None] = mapped_column(USER)
    via: Mapped[str] = mapped_column(String(20))  # created, claimed, assigned, rule
    rule_id: Mapped[str | None] = mapped_column(ID)
    at: Mapped[datetime] = mapped_column(TZ)
    ended_at: Mapped[datetime | None] = mapped_column(TZ)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # released, recycled, reassigned, converted

    __table_args__ = (Index("ix_lead_assignments_user_at", "user_id", "at"),)


class LeadNoteRow(Base):
    """A lead's follow-up notes (each one touches ``last_follow_up_at``); carried to the customer
    as a follow-up when the lead is converted."""

    __tablename__ = "lead_notes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(USER)
    at: Mapped[datetime] = mapped_column(TZ)
    note: Mapped[str] = mapped_column(Text)


# -- opportunities ---------------------------------------------------------------------------------
class OpportunityRow(Base):
    __tablename__ = "opportunities"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_owner_id: Mapped[str | None] = mapped_column(USER)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(USER, index=True)
    team_id: Mapped[str | None] = mapped_column(USER, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expected_close_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(20))
    stage_changed_at: Mapped[datetime] = mapped_column(TZ)
    lost_reason: Mapped[str | None] = mapped_column(String(40))
    lost_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(TZ)
    lead_id: Mapped[str | None] = mapped_column(ID)
    # A renewal names the order it renews: one renewal per order, whatever the redeliveries.
    renewal_of_order_id: Mapped[str | None] = mapped_column(ID, unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_opportunities_created", "created_at"),
        # funnel analytics (migration 0002_analytics): the "shared" grant, closes, the forecast
        Index("ix_opportunities_customer_owner_id", "customer_owner_id"),
        Index("ix_opportunities_closed", "closed_at", postgresql_where=text("closed_at IS NOT NULL")),
        Index(
            "ix_opportunities_open_expected",
            "expected_close_date",
            postgresql_where=text(OPEN_STAGES_SQL),
        ),
    )


class StageChangeRow(Base):
    """The stage history: every move of an opportunity, when and by whom (funnel analytics)."""

    __tablename__ = "opportunity_stage_changes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(TZ)
    actor_id: Mapped[str] = mapped_column(USER)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # the amount at the time of the move

    # funnel analytics (migration 0002_analytics): the moves that decide a furthest stage
    __table_args__ = (
        Index(
            "ix_stage_changes_regressive",
            "opportunity_id",
            "from_stage",
            postgresql_where=text(REGRESSIVE_SQL),
        ),
    )


class StageSettingRow(Base):
    """The funnel's configurable per-stage win probability (percent), seeded by the migration."""

    __tablename__ = "stage_settings"
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    probability_pct: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(TZ)


class LostReasonRow(Base):
    """The managed list of reasons an opportunity is lost (seeded; admins add and retire)."""

    __tablename__ = "lost_reasons"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=100)


# -- quotes ----------------------------------------------------------------------------------------
class QuoteRow(Base):
    """A quote: the stable identity its versions share; exactly one version may be final."""

    __tablename__ = "quotes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. Q-2026-000123
    opportunity_id: Mapped[str] = mapped_column(ForeignKey("opportunities.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_owner_id: Mapped[str | None] = mapped_column(USER)
    owner_id: Mapped[str] = mapped_column(USER)
    team_id: Mapped[str | None] = mapped_column(USER)
    final_version: Mapped[int | None] = mapped_column(Integer)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)


class QuoteVersionRow(Base):
    """One revision of a quote (its own search document, with ``is_final``)."""

    __tablename__ = "quote_versions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft, pending_approval, approved, rejected, sent
    currency: Mapped[str] = mapped_column(String(3))
    valid_until: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)  # before line discounts
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    max_discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(USER)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(TZ)
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(TZ)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("quote_id", "n"),
        Index("uq_quote_versions_final", "quote_id", unique=True, postgresql_where="is_final"),
        Index(
            "ix_quote_versions_expiring",
            "valid_until",
            postgresql_where="status IN ('approved', 'sent') AND expiry_reminded_at IS NULL",
        ),
    )


class QuoteLineRow(Base):
    __tablename__ = "quote_lines"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    quote_version_id: Mapped[str] = mapped_column(
        ForeignKey("quote_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    product: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    line_total_minor: Mapped[int] = mapped_column(BigInteger)


class QuotePdfRow(Base):
    """The rendered PDF of an approved/sent version, kept durably (re-rendering may differ)."""

    __tablename__ = "quote_pdfs"
    quote_version_id: Mapped[str] = mapped_column(
        ForeignKey("quote_versions.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)  # what the PDF says, for the search document
    rendered_at: Mapped[datetime] = mapped_column(TZ)


# -- contracts and orders --------------------------------------------------------------------------
class ContractRow(Base):
    __tablename__ = "contracts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. C-2026-000045
    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), index=True)
    quote_version: Mapped[int] = mapped_column(Integer)
    opportunity_id: Mapped[str] = mapped_column(ID, index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_owner_id: Mapped[str | None] = mapped_column(USER)
    owner_id: Mapped[str] = mapped_column(USER)
    team_id: Mapped[str | None] = mapped_column(USER)
    title: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    special_price: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # pending_review, signed, archived, rejected, cancelled
    approved_by: Mapped[str | None] = mapped_column(USER)
    approved_at: Mapped[datetime | None] = mapped_column(TZ)
    signed_at: Mapped[datetime | None] = mapped_column(TZ)
    archived_at: Mapped[datetime | None] = mapped_column(TZ)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # One open contract per quote version; rejected and cancelled ones free it.
        Index(
            "uq_contracts_open_quote_version",
            "quote_id",
            "quote_version",
            unique=True,
            postgresql_where="status IN ('pending_review', 'signed', 'archived')",
        ),
    )


class OrderRow(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. SO-2026-000012
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), unique=True)
    opportunity_id: Mapped[str] = mapped_column(ID, index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_owner_id: Mapped[str | None] = mapped_column(USER)
    owner_id: Mapped[str] = mapped_column(USER)
    team_id: Mapped[str | None] = mapped_column(USER)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    service_start: Mapped[date | None] = mapped_column(Date)
    service_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # placed, cancelled
    placed_at: Mapped[datetime] = mapped_column(TZ)
    cancelled_at: Mapped[datetime | None] = mapped_column(TZ)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    version: Mapped[int] = mapped_column(Integer)


class InstalmentRow(Base):
    """The payment plan of an order (finance collects against these)."""

    __tablename__ = "order_instalments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("order_id", "seq"),)


class DocumentCounterRow(Base):
    """Per-kind, per-year sequence for human numbers (Q-2026-000123): gap-free, row-locked."""

    __tablename__ = "document_counters"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


# -- notifications -----------------------------------------------------------------------------------
class ReminderRow(Base):
    """Reminders sent by timers (quote expiring, lead about to be recycled), once per subject+kind."""

    __tablename__ = "reminders"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(USER, index=True)
    customer_id: Mapped[str | None] = mapped_column(ID)
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(TZ)
    read_at: Mapped[datetime | None] = mapped_column(TZ)

    __table_args__ = (UniqueConstraint("kind", "subject_id"),)


outbox = outbox_table(Base.metadata)
audit_log = audit_table(Base.metadata)
consumer = consumer_tables(Base.metadata)  # processed_events + consumed_versions, for event handlers
