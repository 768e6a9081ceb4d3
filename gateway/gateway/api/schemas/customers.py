"""Customers, contacts, follow-ups, tasks, transfers and audit entries."""

from __future__ import annotations

from typing import Annotated, Literal

from customers import contracts as c
from pydantic import Field, StrictBool, StringConstraints

from gateway.api.schemas.common import Day, Id, Moment, RequestModel, ResponseModel, Tag, Versioned

Status = Literal["prospect", "active", "churned"]
Tier = Literal["normal", "important", "vip"]
Size = Literal["micro", "small", "medium", "large", "enterprise"]
ContactRole = Literal["decision_maker", "influencer", "user", "gatekeeper", "champion", "other"]
Channel = Literal["call", "visit", "email", "wechat", "meeting", "other"]
TaskStatus = Literal["open", "done", "cancelled"]
Phone = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=254)]


# -- customers ---------------------------------------------------------------------------------
class CustomerCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200, examples=["A科技有限公司"])
    short_name: str | None = Field(default=None, max_length=60)
    tax_id: str | None = Field(
        default=None, max_length=32, description="18-character unified social credit code"
    )
    industry: str | None = Field(default=None, max_length=60)
    size: Size | None = None
    region: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    source: str | None = Field(default=None, max_length=60)
    status: Status = "prospect"
    value_tier: Tier = "normal"
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    owner_id: Id | None = Field(default=None, description="Defaults to you")


class CustomerUpdate(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    short_name: str | None = Field(default=None, max_length=60)
    tax_id: str | None = Field(default=None, max_length=32)
    industry: str | None = Field(default=None, max_length=60)
    size: Size | None = None
    region: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    source: str | None = Field(default=None, max_length=60)
    status: Status | None = None
    value_tier: Tier | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)


class Transfer(RequestModel):
    from_user_id: Id
    to_user_id: Id
    customer_ids: list[Id] | None = Field(default=None, max_length=1000, description="Omit to move all")
    reason: str | None = Field(default=None, max_length=500)


class CustomerOut(ResponseModel, c.Customer):
    pass


class CustomerPage(ResponseModel):
    items: list[CustomerOut]
    next_cursor: str | None = None


class TransferOut(ResponseModel, c.Transfer):
    pass


class AuditEntryOut(ResponseModel, c.AuditEntry):
    pass


class AuditPage(ResponseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None


# -- contacts ----------------------------------------------------------------------------------
class ContactCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100, examples=["张伟"])
    title: str | None = Field(default=None, max_length=100)
    role: ContactRole | None = Field(default=None, description="Place in the decision chain")
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    emails: list[Email] = Field(default_factory=list, max_length=10)
    wechat_id: str | None = Field(default=None, max_length=64)
    is_primary: StrictBool = False


class ContactUpdate(Versioned):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    role: ContactRole | None = None
    phones: list[Phone] | None = Field(default=None, max_length=10)
    emails: list[Email] | None = Field(default=None, max_length=10)
    wechat_id: str | None = Field(default=None, max_length=64)
    is_primary: StrictBool | None = None


class ContactOut(ResponseModel, c.Contact):
    pass


class ContactPage(ResponseModel):
    items: list[ContactOut]
    next_cursor: str | None = None


# -- follow-ups --------------------------------------------------------------------------------
class FollowUpCreate(RequestModel):
    channel: Channel
    content: str = Field(min_length=1, max_length=10_000)
    occurred_at: Moment | None = Field(default=None, description="Defaults to now")
    contact_id: Id | None = None
    next_follow_up_on: Day | None = None


class FollowUpUpdate(Versioned):
    channel: Channel | None = None
    content: str | None = Field(default=None, min_length=1, max_length=10_000)
    occurred_at: Moment | None = None
    contact_id: Id | None = None
    next_follow_up_on: Day | None = None


class FollowUpOut(ResponseModel, c.FollowUp):
    pass


class FollowUpPage(ResponseModel):
    items: list[FollowUpOut]
    next_cursor: str | None = None


# -- tasks -------------------------------------------------------------------------------------
class TaskCreate(RequestModel):
    customer_id: Id
    title: str = Field(min_length=1, max_length=200)
    due_at: Moment
    assignee_id: Id | None = Field(default=None, description="Defaults to you")
    status: TaskStatus = "open"


class TaskUpdate(Versioned):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    due_at: Moment | None = None
    assignee_id: Id | None = None
    status: TaskStatus | None = None


class TaskOut(ResponseModel, c.Task):
    pass


class TaskPage(ResponseModel):
    items: list[TaskOut]
    next_cursor: str | None = None
