"""Editing existing records in the UI: customer profile, contact, task (and deleting a contact).

Every edit form carries the version it was opened at. A save against a record someone changed in
the meantime is refused by the service (409); the form comes back with the user's input and the
current version, so a second save is a deliberate overwrite, never a silent one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from customers import contracts as c
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, ValidationError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from gateway.api.deps import DirectoryDep
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.services.customers.api import Customers
from gateway.services.customers.forms import customer_form_fields
from gateway.services.customers.labels import CONTACT_ROLE_ORDER
from gateway.services.customers.schemas import ContactUpdate, CustomerUpdate, TaskUpdate
from gateway.web.forms import form_errors, local_to_utc, optional, read_form, split_list
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)


def _version(values: dict[str, str]) -> int | None:
    raw = values.get("version", "")
    return int(raw) if raw.isdigit() else None


def _is_stale(exc: Exception) -> bool:
    return isinstance(exc, Conflict) and any(e.get("field") == "version" for e in exc.errors or [])


# What a form save can be refused with: shown next to the form, never an error page.
REFUSALS = (Conflict, ValidationError, PydanticValidationError)


def _refusal(exc: Exception) -> dict[str, Any]:
    """Template context and status for a refused save: 409 (stale or clashing) or 422 (invalid)."""
    status = 409 if isinstance(exc, Conflict) else 422
    return {"status_code": status, "stale": _is_stale(exc), "errors": form_errors(exc)}


def _validated(schema: type[BaseModel], raw: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """The changes a form makes, validated like the REST PATCH; blanks clear optional fields."""
    for field in required:
        if not raw.get(field):
            raise ValidationError.for_field(field, "不能为空 is required")
    body = schema.model_validate(raw)
    return body.model_dump(mode="json", exclude_unset=True, exclude={"version"})


def _local_input(value: str | None, tz: str) -> str:
    """An ISO-8601 instant as the ``datetime-local`` input wants it, in the user's zone."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


# --- customer ---------------------------------------------------------------------------------


def _customer_values(customer: dict[str, Any]) -> dict[str, Any]:
    return {**customer, "tags": ", ".join(customer.get("tags") or [])}


@router.get("/customers/{customer_id}/edit")
async def customer_edit_page(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "customers:write")
    customer = await customers.get_customer(user.caller, customer_id)
    context = {"nav": "customers", "customer": customer, "editing": True, "errors": []}
    return render(request, "customer_form.html", {**context, "values": _customer_values(customer)})


@router.post("/customers/{customer_id}/edit")
async def customer_edit(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "customers:write")
    values = await read_form(request)
    context: dict[str, Any] = {"nav": "customers", "editing": True, "values": values, "errors": []}
    try:
        changes = _validated(CustomerUpdate, customer_form_fields(values), required=("name",))
        await customers.update_customer(
            user.caller, customer_id, changes, _version(values), force=values.get("force") == "1"
        )
    except REFUSALS as exc:
        context["customer"] = await customers.get_customer(user.caller, customer_id)
        refusal = _refusal(exc)
        if isinstance(exc, Conflict) and not refusal["stale"]:
            context["duplicate"] = exc.detail  # offers "save anyway" instead of a field list
            refusal["errors"] = []
        status = refusal.pop("status_code")
        return render(request, "customer_form.html", {**context, **refusal}, status_code=status)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


# --- contact ----------------------------------------------------------------------------------


def _contact_values(contact: dict[str, Any]) -> dict[str, Any]:
    return {
        **contact,
        "phones": ", ".join(contact.get("phones") or []),
        "emails": ", ".join(contact.get("emails") or []),
    }


def _contact_changes(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values.get("name", "").strip(),
        "title": optional(values, "title"),
        "role": optional(values, "role"),
        "phones": split_list(values.get("phones", "")),
        "emails": split_list(values.get("emails", "")),
        "wechat_id": optional(values, "wechat_id"),
        "is_primary": values.get("is_primary") == "1",
    }


def _contact_page(
    request: Request, contact: dict[str, Any], values: dict[str, Any], status_code: int = 200, **extra: Any
) -> Response:
    context = {"nav": "customers", "contact": contact, "values": values, "contact_roles": CONTACT_ROLE_ORDER}
    return render(request, "contact_edit.html", {"errors": [], **context, **extra}, status_code=status_code)


@router.get("/contacts/{contact_id}/edit")
async def contact_edit_page(
    request: Request,
    contact_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "contacts:write")
    contact = await customers.get_child("contact", user.caller, contact_id)
    return _contact_page(request, contact, _contact_values(contact))


@router.post("/contacts/{contact_id}/edit")
async def contact_edit(
    request: Request,
    contact_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "contacts:write")
    values = await read_form(request)
    try:
        changes = _validated(ContactUpdate, _contact_changes(values), required=("name",))
        contact = await customers.update_child("contact", user.caller, contact_id, changes, _version(values))
    except REFUSALS as exc:
        current = await customers.get_child("contact", user.caller, contact_id)
        return _contact_page(request, current, values, **_refusal(exc))
    return RedirectResponse(f"/customers/{contact['customer_id']}#contacts", status_code=303)


@router.post("/contacts/{contact_id}/delete")
async def contact_delete(
    request: Request,
    contact_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "contacts:write")
    values = await read_form(request)
    contact = await customers.get_child("contact", user.caller, contact_id)
    try:
        await customers.delete_child("contact", user.caller, contact_id, _version(values))
    except Conflict as exc:
        return _contact_page(request, contact, _contact_values(contact), **_refusal(exc))
    return RedirectResponse(f"/customers/{contact['customer_id']}#contacts", status_code=303)


# --- task -------------------------------------------------------------------------------------


async def _task_page(
    request: Request,
    directory: Directory,
    task: dict[str, Any],
    values: dict[str, Any],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    users = await run_in_threadpool(directory.list_users)
    assignees = [u for u in users if u.active or u.id == task.get("assignee_id")]
    context = {
        "nav": "tasks",
        "task": task,
        "values": values,
        "task_statuses": c.TASK_STATUSES,
        "assignees": assignees,
        "errors": [],
        **extra,
    }
    return render(request, "task_edit.html", context, status_code=status_code)


@router.get("/tasks/{task_id}/edit")
async def task_edit_page(
    request: Request,
    task_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "tasks:write")
    task = await customers.get_child("task", user.caller, task_id)
    values = {**task, "due_at": _local_input(task.get("due_at"), user.timezone)}
    return await _task_page(request, directory, task, values)


@router.post("/tasks/{task_id}/edit")
async def task_edit(
    request: Request,
    task_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "tasks:write")
    values = await read_form(request)
    raw = {
        "title": values.get("title", "").strip(),
        "due_at": local_to_utc(optional(values, "due_at"), user.timezone),
        "status": values.get("status") or "open",
        "assignee_id": optional(values, "assignee_id"),
    }
    try:
        changes = _validated(TaskUpdate, raw, required=("title", "due_at", "assignee_id"))
        task = await customers.update_child("task", user.caller, task_id, changes, _version(values))
    except REFUSALS as exc:
        current = await customers.get_child("task", user.caller, task_id)
        return await _task_page(request, directory, current, values, **_refusal(exc))
    return RedirectResponse(f"/customers/{task['customer_id']}#tasks", status_code=303)
