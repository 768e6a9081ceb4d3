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
from typing import Annotated, Literal, get_args

from kernel.identity import Caller
from kernel.kinds import SearchKind
from kernel.schema import Day, Id, Moment, RequestModel, Tag
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

SERVICE = "customers"
EVENTS_EXCHANGE = "customers.events"

# Choices: each Literal is the one definition; the tuples are derived for code that iterates.
LifecycleStatus = Literal["prospect", "active", "churned"]  # 潜在 / 活跃 / 流失
ValueTier = Literal["normal", "important", "vip"]
CompanySize = Literal["micro", "small", "medium", "large", "enterprise"]
ContactRole = Literal["decision_maker", "influencer", "user", "gatekeeper", "champion", "other"]
FollowUpChannel = Literal["call", "visit", "email", "wechat", "meeting", "other"]
TaskStatus = Literal["open", "done", "cancelled"]
LIFECYCLE_STATUSES: tuple[str, ...] = get_args(LifecycleStatus)
VALUE_TIERS: tuple[str, ...] = get_args(ValueTier)
COMPANY_SIZES: tuple[str, ...] = get_args(CompanySize)
CONTACT_ROLES: tuple[str, ...] = get_args(ContactRole)
FOLLOW_UP_CHANNELS: tuple[str, ...] = get_args(FollowUpChannel)
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)

# Field limits (characters, list items): enforced by the service, published by the gateway.
MAX_LEN: dict[str, dict[str, int]] = {
    "customer": {
        "name": 200,
        "short_name": 60,
        "tax_id": 32,
        "industry": 60,
        "region": 100,
        "address": 300,
        "source": 60,
        "tags": 20,
    },
    "contact": {"name": 100, "title": 100, "phones": 10, "emails": 10, "wechat_id": 64},
    "follow_up": {"content": 10_000},
    "task": {"title": 200},
    "transfer": {"customer_ids": 1000, "reason": 500},
}
PHONE_MAX, EMAIL_MIN, EMAIL_MAX = 40, 3, 254
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
    size: CompanySize | None = None
    region: str | None = None
    address: str | None = None
    source: str | None = None
    status: LifecycleStatus
    value_tier: ValueTier
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
    role: ContactRole | None = None
    phones: list[str]
    emails: list[str]
    wechat_id: str | None = None
    is_primary: bool


class FollowUp(_CustomerContext):
    contact_id: str | None = None
    channel: FollowUpChannel
    occurred_at: datetime
    author_id: str
    content: str
    next_follow_up_on: date | None = None


class Task(_CustomerContext):
    title: str
    due_at: datetime
    assignee_id: str
    status: TaskStatus
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


# -- RPC inputs: what create_* take as ``data`` and update_* as ``changes`` ---------------------
# Defaults the service applies to what is left out (follow-up time = now, task assignee = the
# caller, ...) live in the service, not here: these models leave such fields out when unset.
_C, _P, _F, _T = MAX_LEN["customer"], MAX_LEN["contact"], MAX_LEN["follow_up"], MAX_LEN["task"]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=PHONE_MAX)]
Email = Annotated[str, StringConstraints(min_length=EMAIL_MIN, max_length=EMAIL_MAX)]


class CustomerCreate(RequestModel):
    name: str = Field(min_length=1, max_length=_C["name"], examples=["A科技有限公司"])
    short_name: str | None = Field(default=None, max_length=_C["short_name"])
    tax_id: str | None = Field(
        default=None, max_length=_C["tax_id"], description="18-character unified social credit code"
    )
    industry: str | None = Field(default=None, max_length=_C["industry"])
    size: CompanySize | None = None
    region: str | None = Field(default=None, max_length=_C["region"])
    address: str | None = Field(default=None, max_length=_C["address"])
    source: str | None = Field(default=None, max_length=_C["source"])
    status: LifecycleStatus = "prospect"
    value_tier: ValueTier = "normal"
    tags: list[Tag] = Field(default_factory=list, max_length=_C["tags"])
    owner_id: Id | None = Field(default=None, description="Defaults to you")


class CustomerUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=_C["name"])
    short_name: str | None = Field(default=None, max_length=_C["short_name"])
    tax_id: str | None = Field(default=None, max_length=_C["tax_id"])
    industry: str | None = Field(default=None, max_length=_C["industry"])
    size: CompanySize | None = None
    region: str | None = Field(default=None, max_length=_C["region"])
    address: str | None = Field(default=None, max_length=_C["address"])
    source: str | None = Field(default=None, max_length=_C["source"])
    status: LifecycleStatus | None = None
    value_tier: ValueTier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=_C["tags"])


class TransferRequest(RequestModel):
    from_user_id: Id
    to_user_id: Id
    customer_ids: list[Id] | None = Field(
        default=None, max_length=MAX_LEN["transfer"]["customer_ids"], description="Omit to move all"
    )
    reason: str | None = Field(default=None, max_length=MAX_LEN["transfer"]["reason"])


class ContactCreate(RequestModel):
    name: str = Field(min_length=1, max_length=_P["name"], examples=["张伟"])
    title: str | None = Field(default=None, max_length=_P["title"])
    role: ContactRole | None = Field(default=None, description="Place in the decision chain")
    phones: list[Phone] = Field(default_factory=list, max_length=_P["phones"])
    emails: list[Email] = Field(default_factory=list, max_length=_P["emails"])
    wechat_id: str | None = Field(default=None, max_length=_P["wechat_id"])
    is_primary: StrictBool = False


class ContactUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=_P["name"])
    title: str | None = Field(default=None, max_length=_P["title"])
    role: ContactRole | None = None
    phones: list[Phone] | None = Field(default=None, max_length=_P["phones"])
    emails: list[Email] | None = Field(default=None, max_length=_P["emails"])
    wechat_id: str | None = Field(default=None, max_length=_P["wechat_id"])
    is_primary: StrictBool | None = None


class FollowUpCreate(RequestModel):
    channel: FollowUpChannel
    content: str = Field(min_length=1, max_length=_F["content"])
    occurred_at: Moment | None = Field(default=None, description="Defaults to now")
    contact_id: Id | None = None
    next_follow_up_on: Day | None = None


class FollowUpUpdate(RequestModel):
    channel: FollowUpChannel | None = None
    content: str | None = Field(default=None, min_length=1, max_length=_F["content"])
    occurred_at: Moment | None = None
    contact_id: Id | None = None
    next_follow_up_on: Day | None = None


class TaskCreate(RequestModel):
    customer_id: Id
    title: str = Field(min_length=1, max_length=_T["title"])
    due_at: Moment
    assignee_id: Id | None = Field(default=None, description="Defaults to you")
    status: TaskStatus = "open"


class TaskUpdate(RequestModel):
    title: str | None = Field(default=None, min_length=1, max_length=_T["title"])
    due_at: Moment | None = None
    assignee_id: Id | None = None
    status: TaskStatus | None = None


# -- who may own and receive customers (the service enforces; the UI offers only these) ---------
OWNER_ROLES = ("sales", "manager")  # roles that hold a book of customers


def may_assign(caller: Caller, new_owner_id: str, new_owner_team: str | None) -> bool:
    """Who may make ``new_owner_id`` the owner: admin anyone, manager within the team, sales themselves."""
    if caller.is_admin:
        return True
    if caller.has("manager") and caller.team_id is not None and caller.team_id == new_owner_team:
        return True
    return caller.has("sales") and caller.user_id == new_owner_id


def transfer_eligible(caller: Caller, target: User, current_owner_id: str | None) -> bool:
    """Whether ``caller`` may hand a customer owned by ``current_owner_id`` over to ``target``."""
    return (
        target.active
        and target.id != current_owner_id
        and any(role in OWNER_ROLES for role in target.roles)
        and may_assign(caller, target.id, target.team_id)
    )


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
