"""REST bodies of customers, contacts, follow-ups, tasks, transfers and audit entries.

Every field, choice and limit comes from ``customers.contracts``; the gateway only adds the REST
envelope (``version`` in update bodies, tolerant responses, pages) and keeps the schema names.
"""

from __future__ import annotations

from customers import contracts as c

from gateway.api.schemas.common import Page, ResponseModel, Versioned

Status = c.LifecycleStatus
TaskStatus = c.TaskStatus


class CustomerCreate(c.CustomerCreate):
    pass


class CustomerUpdate(Versioned, c.CustomerUpdate):
    pass


class Transfer(c.TransferRequest):
    pass


class CustomerOut(ResponseModel, c.Customer):
    pass


class CustomerPage(ResponseModel, Page[CustomerOut]):
    pass


class TransferOut(ResponseModel, c.Transfer):
    pass


class AuditEntryOut(ResponseModel, c.AuditEntry):
    pass


class AuditPage(ResponseModel, Page[AuditEntryOut]):
    pass


class ContactCreate(c.ContactCreate):
    pass


class ContactUpdate(Versioned, c.ContactUpdate):
    pass


class ContactOut(ResponseModel, c.Contact):
    pass


class ContactPage(ResponseModel, Page[ContactOut]):
    pass


class FollowUpCreate(c.FollowUpCreate):
    pass


class FollowUpUpdate(Versioned, c.FollowUpUpdate):
    pass


class FollowUpOut(ResponseModel, c.FollowUp):
    pass


class FollowUpPage(ResponseModel, Page[FollowUpOut]):
    pass


class TaskCreate(c.TaskCreate):
    pass


class TaskUpdate(Versioned, c.TaskUpdate):
    pass


class TaskOut(ResponseModel, c.Task):
    pass


class TaskPage(ResponseModel, Page[TaskOut]):
    pass
