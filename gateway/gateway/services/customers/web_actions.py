"""Form posts of the UI. With htmx they answer with the refreshed section; without JavaScript they
redirect back (post/redirect/get) or re-render the page with the errors next to the form."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, ValidationError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from gateway.api.deps import DirectoryDep
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.auth.records import UserRecord
from gateway.services.customers.api import Customers
from gateway.services.customers.client import CustomersClient
from gateway.services.customers.forms import customer_form_fields
from gateway.services.customers.schemas import ContactCreate, CustomerCreate, FollowUpCreate, TaskCreate
from gateway.services.customers.web_pages import customer_context
from gateway.web.forms import form_errors, local_to_utc, optional, read_form
from gateway.web.routes_auth import safe_next
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _customer_url(customer_id: str, anchor: str = "") -> str:
    return f"/customers/{quote(customer_id, safe='')}" + (f"#{anchor}" if anchor else "")


async def _section_or_redirect(
    request: Request,
    user: UserRecord,
    customers: CustomersClient,
    directory: Directory,
    customer_id: str,
    *,
    section: str,
    errors: list[dict[str, Any]],
    values: dict[str, Any],
) -> Response:
    """Answer a section form: the section again (htmx), a redirect (success) or the page with errors."""
    if not errors and not _is_htmx(request):
        return RedirectResponse(_customer_url(customer_id, section.replace("_", "-")), status_code=303)
    context = await customer_context(user, customers, directory, customer_id, request=request)
    singular = {"follow_ups": "follow_up", "contacts": "contact", "tasks": "task"}[section]
    context[f"{singular}_errors"] = errors
    context[f"{singular}_values"] = values if errors else {}
    if _is_htmx(request):
        # 200 even with errors: htmx swaps only successful responses, and the errors are the content.
        return render(request, f"partials/{section}.html", context)
    return render(request, "customer_detail.html", context, status_code=422)


@router.post("/customers")
async def create_customer(
    request: Request,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "customers:write")
    values = await read_form(request)
    raw = customer_form_fields(values)
    context: dict[str, Any] = {"nav": "customers", "values": values, "errors": []}
    try:
        body = CustomerCreate.model_validate({k: v for k, v in raw.items() if v is not None})
        record = await customers.create_customer(
            user.caller, body.model_dump(mode="json", exclude_none=True), force=values.get("force") == "1"
        )
    except Conflict as exc:
        context["duplicate"] = exc.detail
        return render(request, "customer_form.html", context, status_code=409)
    except (PydanticValidationError, ValidationError) as exc:
        context["errors"] = form_errors(exc)
        return render(request, "customer_form.html", context, status_code=422)
    return RedirectResponse(_customer_url(record["id"]), status_code=303)


@router.post("/customers/{customer_id}/follow-ups")
async def add_follow_up(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "follow_ups:write")
    values = await read_form(request)
    raw = {
        "channel": values.get("channel") or "call",
        "content": values.get("content", "").strip(),
        # Left blank: the service records it as happening now.
        "occurred_at": local_to_utc(optional(values, "occurred_at"), user.timezone),
        "contact_id": optional(values, "contact_id"),
        "next_follow_up_on": optional(values, "next_follow_up_on"),
    }
    return await _create_child_from_form(
        request, user, customers, directory, customer_id, "follow_up", FollowUpCreate, raw, values
    )


@router.post("/customers/{customer_id}/contacts")
async def add_contact(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "contacts:write")
    values = await read_form(request)
    phone, email = optional(values, "phone"), optional(values, "email")
    raw = {
        "name": values.get("name", "").strip(),
        "title": optional(values, "title"),
        "role": optional(values, "role"),
        "phones": [phone] if phone else [],
        "emails": [email] if email else [],
        "wechat_id": optional(values, "wechat_id"),
        "is_primary": values.get("is_primary") == "1",
    }
    return await _create_child_from_form(
        request, user, customers, directory, customer_id, "contact", ContactCreate, raw, values
    )


@router.post("/customers/{customer_id}/tasks")
async def add_task(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "tasks:write")
    values = await read_form(request)
    raw = {
        "customer_id": customer_id,
        "title": values.get("title", "").strip(),
        "due_at": local_to_utc(optional(values, "due_at"), user.timezone),
    }  # no assignee: the service gives the task to whoever creates it
    return await _create_child_from_form(
        request,
        user,
        customers,
        directory,
        customer_id,
        "task",
        TaskCreate,
        raw,
        values,
        exclude={"customer_id"},
    )


@router.post("/customers/{customer_id}/transfer")
async def transfer(
    request: Request,
    customer_id: str,
    user: WebUser,
    customers: Customers,
    directory: DirectoryDep,
) -> Response:
    require(user, "customers:transfer")
    values = await read_form(request)
    to_user_id = optional(values, "to_user_id")
    try:
        if not to_user_id:
            raise ValidationError.for_field("to_user_id", "请选择新负责人 choose the new owner")
        customer = await customers.get_customer(user.caller, customer_id)
        await customers.transfer_customers(
            user.caller,
            customer["owner_id"],
            to_user_id[:64],
            [customer_id],
            (optional(values, "reason") or "")[:500] or None,
        )
    except ValidationError as exc:
        context = await customer_context(user, customers, directory, customer_id, request=request)
        context["transfer_errors"] = form_errors(exc)
        return render(request, "customer_detail.html", context, status_code=422)
    return RedirectResponse(_customer_url(customer_id), status_code=303)


@router.post("/tasks/{task_id}/complete")
async def complete_task(
    request: Request,
    task_id: str,
    user: WebUser,
    customers: Customers,
) -> Response:
    require(user, "tasks:write")
    values = await read_form(request)
    version = values.get("version", "")
    expected = int(version) if version.isdigit() else None
    await customers.update_child("task", user.caller, task_id, {"status": "done"}, expected)
    return RedirectResponse(safe_next(values.get("next") or "/tasks"), status_code=303)


async def _create_child_from_form(
    request: Request,
    user: UserRecord,
    customers: CustomersClient,
    directory: Directory,
    customer_id: str,
    kind: str,
    schema: type[BaseModel],
    raw: dict[str, Any],
    values: dict[str, Any],
    exclude: set[str] | None = None,
) -> Response:
    """Validate a form like the REST API does, create the child, re-render its section."""
    errors: list[dict[str, Any]] = []
    try:
        body = schema.model_validate({k: v for k, v in raw.items() if v is not None})
        data = body.model_dump(mode="json", exclude_none=True, exclude=exclude)
        await customers.create_child(kind, user.caller, customer_id, data)
    except (PydanticValidationError, ValidationError) as exc:
        errors = form_errors(exc)
    section = f"{kind}s"  # follow_ups, contacts, tasks
    return await _section_or_redirect(
        request, user, customers, directory, customer_id, section=section, errors=errors, values=values
    )
