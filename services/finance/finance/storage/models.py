"""SQLAlchemy models of the finance database (owned by this service alone).

The ledger: a receivable is one instalment of an order (``amount_minor`` is what is billed now;
an order change adjusts it, audited). Money reaches it through allocations of payments; what a
payment does not allocate is the customer's credit. Per receivable, always:

    amount_minor = paid_minor + outstanding + written_off_minor,   outstanding >= 0

Money is integer minor units (``BigInteger``) beside a currency code; rates are ``Numeric``
(exact), never floats. Every aggregate row carries ``version`` (the event and search-document
version) and the ownership the read policies need (``owner_id``, ``team_id``,
``customer_owner_id``), copied from the order and the customer replica.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from kernel.consumer import consumer_tables
from kernel.db import NAMING_CONVENTION
from kernel.notifications import notifications_table
from kernel.numbers import document_counters_table
from kernel.outbox import outbox_table
from kernel.replicas import customer_refs_table, directory_users_table
from kernel.uow import audit_table
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
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
MONEY = BigInteger


class _Owned:
    """Ownership columns of every finance aggregate (what the read policies look at)."""

    customer_id: Mapped[str] = mapped_column(ID, index=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_owner_id: Mapped[str | None] = mapped_column(USER, index=True)
    owner_id: Mapped[str | None] = mapped_column(USER, index=True)
    team_id: Mapped[str | None] = mapped_column(USER, index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)


# -- receivables (one per order instalment) ---------------------------------------------------------
class ReceivableRow(_Owned, Base):
    __tablename__ = "receivables"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ID)
    order_number: Mapped[str | None] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)  # the instalment's number in the order's plan
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(MONEY)  # billed now
    paid_minor: Mapped[int] = mapped_column(MONEY, default=0)
    written_off_minor: Mapped[int] = mapped_column(MONEY, default=0)
    status: Mapped[str] = mapped_column(String(20))  # contracts.common.RECEIVABLE_STATUSES
    overdue_bucket: Mapped[str | None] = mapped_column(String(10))  # the last bucket announced
    overdue_since: Mapped[date | None] = mapped_column(Date)
    order_version: Mapped[int] = mapped_column(Integer)  # the order event version applied
    cancelled_at: Mapped[datetime | None] = mapped_column(TZ)

    __table_args__ = (
        UniqueConstraint("order_id", "seq"),
        CheckConstraint("paid_minor >= 0 AND written_off_minor >= 0", name="non_negative"),
        CheckConstraint("paid_minor + written_off_minor <= amount_minor", name="not_over_settled"),
        Index("ix_receivables_open_due", "due_date", postgresql_where="status IN ('open', 'partially_paid')"),
        # the aging totals (bucket chips, summaries) read the amounts from the index alone
        Index(
            "ix_receivables_open_aging",
            "due_date",
            "currency",
            postgresql_include=["amount_minor", "paid_minor", "written_off_minor"],
            postgresql_where="status IN ('open', 'partially_paid')",
        ),
        # The aging report and the forecast read unsettled instalments by team / owner from this
        # index alone (index-only scan): the amounts ride along, no heap visit per instalment.
        Index(
            "ix_receivables_aging",
            "team_id",
            "owner_id",
            "currency",
            "due_date",
            postgresql_include=[
                "customer_id",
                "customer_owner_id",
                "amount_minor",
                "paid_minor",
                "written_off_minor",
            ],
            postgresql_where="status IN ('open', 'partially_paid')",
        ),
        # The overdue timer's question "which instalments passed into a later bucket than the one
        # they announced?" is one range per announced bucket here: a tick with nothing new reads
        # nothing, instead of every overdue instalment's row.
        Index(
            "ix_receivables_overdue_next",
            "overdue_bucket",
            "due_date",
            postgresql_where="status IN ('open', 'partially_paid')",
        ),
    )


# -- payments (回款), their allocations, refunds --------------------------------------------------
class PaymentRow(_Owned, Base):
    """Money received from a customer. ``allocated_minor`` went to receivables, ``refunded_minor``
    back to the customer; the rest is the customer's credit."""

    __tablename__ = "payments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(MONEY)
    allocated_minor: Mapped[int] = mapped_column(MONEY, default=0)
    refunded_minor: Mapped[int] = mapped_column(MONEY, default=0)
    payer: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # manual | bank_import
    bank_line_id: Mapped[str | None] = mapped_column(ID, unique=True)
    created_by: Mapped[str] = mapped_column(USER)
    # A voided payment (recorded by mistake) pays nothing and is no credit; kept for the audit.
    voided_at: Mapped[datetime | None] = mapped_column(TZ)
    voided_by: Mapped[str | None] = mapped_column(USER)
    void_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive"),
        CheckConstraint("allocated_minor + refunded_minor <= amount_minor", name="not_over_used"),
    )


class AllocationRow(Base):
    __tablename__ = "allocations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    receivable_id: Mapped[str] = mapped_column(ForeignKey("receivables.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(MONEY)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (CheckConstraint("amount_minor > 0", name="positive"),)


class RefundRow(Base):
    """Money paid back out of a payment's unallocated credit."""

    __tablename__ = "refunds"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    amount_minor: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (CheckConstraint("amount_minor > 0", name="positive"),)


class WriteOffRow(Base):
    """Bad debt: requested by finance, applied only when a finance manager approves it."""

    __tablename__ = "write_offs"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    receivable_id: Mapped[str] = mapped_column(ForeignKey("receivables.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    amount_minor: Mapped[int] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # requested | approved | rejected
    requested_by: Mapped[str] = mapped_column(USER)
    requested_at: Mapped[datetime] = mapped_column(TZ)
    decided_by: Mapped[str | None] = mapped_column(USER)
    decided_at: Mapped[datetime | None] = mapped_column(TZ)
    decision_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    # The receivable's currency and ownership, copied at request (the read policy needs them).
    currency: Mapped[str] = mapped_column(String(3))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_owner_id: Mapped[str | None] = mapped_column(USER, index=True)
    owner_id: Mapped[str | None] = mapped_column(USER, index=True)
    team_id: Mapped[str | None] = mapped_column(USER, index=True)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive"),
        # One open request per receivable (two finance clerks asking at once: the second is refused).
        Index(
            "uq_write_offs_open_receivable",
            "receivable_id",
            unique=True,
            postgresql_where="status = 'requested'",
        ),
    )


# -- invoices ---------------------------------------------------------------------------------------
class InvoiceRow(_Owned, Base):
    __tablename__ = "invoices"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)  # given on issue: INV-2026-000001
    order_id: Mapped[str | None] = mapped_column(ID, index=True)
    receivable_id: Mapped[str | None] = mapped_column(ID, index=True)
    title: Mapped[str] = mapped_column(String(200))  # the buyer's name on the invoice
    tax_id: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(MONEY)  # including tax
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))  # 0.1300 = 13%
    tax_minor: Mapped[int] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20))  # draft | issued | paid | void
    issued_on: Mapped[date | None] = mapped_column(Date)
    void_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(USER)

    __table_args__ = (
        CheckConstraint("amount_minor > 0 AND tax_minor >= 0 AND tax_minor <= amount_minor", name="amounts"),
        # An issued or paid invoice always has its number (a voided one keeps it if it had one).
        CheckConstraint("status IN ('draft', 'void') OR number IS NOT NULL", name="numbered_once_issued"),
    )


# -- bank statement import ------------------------------------------------------------------------
class BankImportRow(Base):
    __tablename__ = "bank_imports"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # the same file twice: nothing
    filename: Mapped[str] = mapped_column(String(255))
    rows_total: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)  # status → rows
    created_by: Mapped[str] = mapped_column(USER)
    created_at: Mapped[datetime] = mapped_column(TZ)
    # processing until every line is stored: a retry of the same file resumes it (0002)
    status: Mapped[str] = mapped_column(String(20), server_default="complete")
    # rows that are no line (unreadable, not a receipt): [{line_no, status, message, payer, reference}]
    problems: Mapped[list[dict[str, object]]] = mapped_column(JSONB, server_default="[]", default=list)
    completed_at: Mapped[datetime | None] = mapped_column(TZ)


class BankLineRow(Base):
    """One statement line: matched (a payment was recorded), unmatched or ambiguous (the review
    list), duplicate (already imported, from any file), resolved or ignored by a reviewer."""

    __tablename__ = "bank_lines"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("bank_imports.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    line_hash: Mapped[str] = mapped_column(String(64), unique=True)
    booked_on: Mapped[date] = mapped_column(Date)
    payer: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    customer_id: Mapped[str | None] = mapped_column(ID)
    payment_id: Mapped[str | None] = mapped_column(ID)
    candidates: Mapped[list[dict[str, object]]] = mapped_column(JSONB, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(USER)
    resolved_at: Mapped[datetime | None] = mapped_column(TZ)


# Bank lines name receivables by their order number (0002).
Index("ix_receivables_order_number", ReceivableRow.order_number)


# -- credit risk and notifications -----------------------------------------------------------------
class CustomerRiskRow(Base):
    """A customer's credit-risk level from its overdue amount and age (published when it changes)."""

    __tablename__ = "customer_risk"
    customer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # contracts.common.RISK_LEVELS
    overdue_minor: Mapped[int] = mapped_column(MONEY)
    max_overdue_days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    currency: Mapped[str | None] = mapped_column(String(3))  # of overdue_minor (0002_collections)


class NotificationRow(Base):
    """Who was told what (overdue instalments, write-off requests), once per subject, kind and user."""

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


customer_refs = customer_refs_table(Base.metadata)
directory_users = directory_users_table(Base.metadata)
document_counters = document_counters_table(Base.metadata)
outbox = outbox_table(Base.metadata)
audit_log = audit_table(Base.metadata)
consumer = consumer_tables(Base.metadata)  # processed_events + consumed_versions, for event handlers
