"""Published contract of the ``customers`` service: RPC payloads and event schemas.

Imports neither nameko nor SQLAlchemy: the gateway, the search indexer and contract tests
depend on this module alone.

RPC (nameko service ``customers``; every method takes ``caller`` = {user_id, roles, team_id}
as its first argument and raises ValidationError / NotFound / PermissionDenied / Conflict):

    create_customer(caller, data, force=False)                -> Customer
    get_customer(caller, customer_id)                         -> Customer
    update_customer(caller, customer_id, changes, expected_version=None) -> Customer
    delete_customer(caller, customer_id, expected_version=None) -> Tombstone
    list_customers(caller, filters=None, cursor=None, limit=50) -> Page[Customer]
        filters: owner_id, team_id, status, tag, q (name/short name/tax id contains)
    create_contact(caller, customer_id, data)  get_contact(caller, contact_id)
    update_contact(caller, contact_id, changes, expected_version=None)
    delete_contact(caller, contact_id, expected_version=None)
    list_contacts(caller, customer_id, cursor=None, limit=50)
    create_follow_up / get_follow_up / update_follow_up / delete_follow_up / list_follow_ups  (same shape)
    create_task / get_task / update_task / delete_task
    list_tasks(caller, filters=None, cursor=None, limit=50)
        filters: customer_id, assignee_id, status, overdue (bool)
    transfer_customers(caller, from_user_id, to_user_id, customer_ids=None, reason=None) -> Transfer
    get_audit(caller, customer_id, cursor=None, limit=50)    -> Page[AuditEntry]
    export(caller, kind, cursor=None, limit=500)              -> Page[ExportRecord]   (admin/system)
    upsert_user(caller, user)                                 -> User   (admin/system; directory replica)
        user: kernel.identity_events.UserState (with its version); applied only above the version
        identity user.upserted events have reached, so it never undoes a newer event
    ping()                                                    -> "pong"

Page = {"items": [...], "next_cursor": str | None}; pass next_cursor back to continue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from kernel.kinds import SearchKind
from pydantic import BaseModel, ConfigDict, Field

SERVICE = "customers"
EVENTS_EXCHANGE = "customers.events"

LIFECYCLE_STATUSES = ("prospect", "active", "churned")  # 潜在 / 活跃 / 流失
VALUE_TIERS = ("normal", "important", "vip")
COMPANY_SIZES = ("micro", "small", "medium", "large", "enterprise")
CONTACT_ROLES = ("decision_maker", "influencer", "user", "gatekeeper", "champion", "other")
FOLLOW_UP_CHANNELS = ("call", "visit", "email", "wechat", "meeting", "other")
TASK_STATUSES = ("open", "done", "cancelled")
EXPORT_KINDS = ("customer", "contact", "follow_up", "task")

# Event types, routing keys on the ``customers.events`` topic exchange.
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_TRANSFERRED = "customer.transferred"
CUSTOMER_DELETED = "customer.deleted"
CONTACT_CREATED, CONTACT_UPDATED, CONTACT_DELETED = "contact.created", "contact.updated", "contact.deleted"
FOLLOW_UP_CREATED, FOLLOW_UP_UPDATED, FOLLOW_UP_DELETED = (
    "follow_up.created",
    "follow_up.updated",
    "follow_up.deleted",
)
TASK_CREATED, TASK_UPDATED, TASK_DELETED, TASK_OVERDUE = (
    "task.created",
    "task.updated",
    "task.deleted",
    "task.overdue",
)
EVENT_TYPES = (
    CUSTOMER_CREATED, CUSTOMER_UPDATED, CUSTOMER_TRANSFERRED, CUSTOMER_DELETED,
    CONTACT_CREATED, CONTACT_UPDATED, CONTACT_DELETED,
    FOLLOW_UP_CREATED, FOLLOW_UP_UPDATED, FOLLOW_UP_DELETED,
    TASK_CREATED, TASK_UPDATED, TASK_DELETED, TASK_OVERDUE,
)  # fmt: skip


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


class Customer(_State):
    name: str
    short_name: str | None = None
    tax_id: str | None = None
    industry: str | None = None
    size: Literal["micro", "small", "medium", "large", "enterprise"] | None = None
    region: str | None = None
    address: str | None = None
    source: str | None = None
    status: Literal["prospect", "active", "churned"]
    value_tier: Literal["normal", "important", "vip"]
    tags: list[str]
    owner_id: str
    team_id: str | None = None
    created_by: str


class _CustomerContext(_State):
    """Children carry their customer's name and ownership so the read model can filter by ACL."""

    customer_id: str
    customer_name: str
    owner_id: str
    team_id: str | None = None


class Contact(_CustomerContext):
    name: str
    title: str | None = None
    role: Literal["decision_maker", "influencer", "user", "gatekeeper", "champion", "other"] | None = None
    phones: list[str]
    emails: list[str]
    wechat_id: str | None = None
    is_primary: bool


class FollowUp(_CustomerContext):
    contact_id: str | None = None
    channel: Literal["call", "visit", "email", "wechat", "meeting", "other"]
    occurred_at: datetime
    author_id: str
    content: str
    next_follow_up_on: date | None = None


class Task(_CustomerContext):
    title: str
    due_at: datetime
    assignee_id: str
    status: Literal["open", "done", "cancelled"]
    completed_at: datetime | None = None
    overdue_notified_at: datetime | None = None


class Tombstone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    deleted: Literal[True]
    customer_id: str | None = None
    version: int


class AuditEntry(BaseModel):
    id: str
    at: datetime
    actor_id: str
    customer_id: str
    entity_type: Literal["customer", "contact", "follow_up", "task"]
    entity_id: str
    action: Literal["created", "updated", "deleted", "transferred"]
    changes: dict[str, list[object]]  # field -> [old, new]


class Transfer(BaseModel):
    moved: int
    customer_ids: list[str]
    from_user_id: str
    to_user_id: str


class User(BaseModel):
    """Directory replica entry (the gateway owns users)."""

    id: str
    username: str
    display_name: str | None = None
    team_id: str | None = None
    roles: list[str]
    active: bool = True


# Event type -> schema of ``data`` (tombstones for *.deleted).
EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    CUSTOMER_CREATED: Customer, CUSTOMER_UPDATED: Customer, CUSTOMER_TRANSFERRED: Customer,
    CUSTOMER_DELETED: Tombstone,
    CONTACT_CREATED: Contact, CONTACT_UPDATED: Contact, CONTACT_DELETED: Tombstone,
    FOLLOW_UP_CREATED: FollowUp, FOLLOW_UP_UPDATED: FollowUp, FOLLOW_UP_DELETED: Tombstone,
    TASK_CREATED: Task, TASK_UPDATED: Task, TASK_DELETED: Tombstone, TASK_OVERDUE: Task,
}  # fmt: skip

# Aggregate type carried in the envelope for each kind.
AGGREGATE_TYPES = {"customer": "customer", "contact": "contact", "follow_up": "follow_up", "task": "task"}


def _events(kind: str) -> tuple[str, ...]:
    return tuple(t for t in EVENT_TYPES if t.split(".", 1)[0] == kind)


# The kinds this service exports to the search read model (and the UI's labels and links for them).
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("customer", "客户", "/customers/{id}", _events("customer")),
    SearchKind("contact", "联系人", "/customers/{customer_id}#contact-{id}", _events("contact")),
    SearchKind("follow_up", "跟进", "/customers/{customer_id}#follow-up-{id}", _events("follow_up")),
    SearchKind("task", "任务", "/customers/{customer_id}#task-{id}", _events("task")),
)
