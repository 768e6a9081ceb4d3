"""User and team administration in the UI: the same directory use cases as ``/api/v1/users``.

Admins create users and teams, change roles, team, display name and time zone, reset passwords and
(de)activate accounts; managers see the list read-only. Every change is replicated to the services
at once, like the API does, so a new salesperson can own customers immediately.
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, ValidationError

from gateway.api.deps import get_directory, get_replicator
from gateway.api.schemas.identity import Role
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.auth.records import UserRecord
from gateway.auth.replication import UserReplicator
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import web_user
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
ROLES: tuple[str, ...] = get_args(Role)


async def _list_page(
    request: Request, directory: Directory, status_code: int = 200, **extra: Any
) -> Response:
    users = await run_in_threadpool(directory.list_users)
    teams = await run_in_threadpool(directory.list_teams)
    context = {
        "nav": "admin",
        "users": sorted(users, key=lambda u: (not u.active, u.username)),
        "teams": sorted(teams, key=lambda t: t.name),
        "team_names": {t.id: t.name for t in teams},
        "roles": ROLES,
        "errors": [],
        "values": {},
        "team_errors": [],
        **extra,
    }
    return render(request, "admin_users.html", context, status_code=status_code)


async def _form_with_roles(request: Request) -> tuple[dict[str, str], list[str]]:
    values = await read_form(request)
    # read_form keeps one value per field; roles is a list of checkboxes (the form is cached).
    checked = {str(v) for v in (await request.form()).getlist("roles")}
    return values, [role for role in ROLES if role in checked]


@router.get("/admin/users")
async def users_page(
    request: Request, user: UserRecord = Depends(web_user), directory: Directory = Depends(get_directory)
) -> Response:
    require(user, "users:read")
    return await _list_page(request, directory)


@router.post("/admin/users")
async def create_user(
    request: Request,
    user: UserRecord = Depends(web_user),
    directory: Directory = Depends(get_directory),
    replicator: UserReplicator = Depends(get_replicator),
) -> Response:
    require(user, "users:admin")
    values, roles = await _form_with_roles(request)
    try:
        created = await run_in_threadpool(
            lambda: directory.create_user(
                username=values.get("username", "").strip(),
                password=values.get("password", ""),
                display_name=optional(values, "display_name"),
                roles=roles,
                team_id=optional(values, "team_id"),
                timezone=optional(values, "timezone"),
                acting_user_id=user.id,
            )
        )
    except (ValidationError, Conflict) as exc:
        values.pop("password", None)  # never echoed back into the page
        return await _list_page(
            request, directory, exc.status, errors=form_errors(exc), values={**values, "roles": roles}
        )
    await replicator.replicate(created)
    return RedirectResponse(f"/admin/users?created={created.id}", status_code=303)


@router.post("/admin/teams")
async def create_team(
    request: Request, user: UserRecord = Depends(web_user), directory: Directory = Depends(get_directory)
) -> Response:
    require(user, "users:admin")
    values = await read_form(request)
    try:
        await run_in_threadpool(directory.create_team, values.get("name", ""))
    except (ValidationError, Conflict) as exc:
        return await _list_page(request, directory, exc.status, team_errors=form_errors(exc))
    return RedirectResponse("/admin/users#teams", status_code=303)


async def _edit_page(
    request: Request, directory: Directory, target: UserRecord, status_code: int = 200, **extra: Any
) -> Response:
    teams = await run_in_threadpool(directory.list_teams)
    context = {
        "nav": "admin",
        "target": target,
        "teams": sorted(teams, key=lambda t: t.name),
        "roles": ROLES,
        "errors": [],
        **extra,
    }
    return render(request, "admin_user_edit.html", context, status_code=status_code)


@router.get("/admin/users/{user_id}")
async def user_edit_page(
    request: Request,
    user_id: str,
    user: UserRecord = Depends(web_user),
    directory: Directory = Depends(get_directory),
) -> Response:
    require(user, "users:admin")
    target = await run_in_threadpool(directory.require_user, user_id)
    return await _edit_page(request, directory, target)


@router.post("/admin/users/{user_id}")
async def user_edit(
    request: Request,
    user_id: str,
    user: UserRecord = Depends(web_user),
    directory: Directory = Depends(get_directory),
    replicator: UserReplicator = Depends(get_replicator),
) -> Response:
    require(user, "users:admin")
    values, roles = await _form_with_roles(request)
    changes: dict[str, Any] = {
        "display_name": values.get("display_name", ""),
        "roles": roles,
        "team_id": optional(values, "team_id"),
        "active": values.get("active") == "1",
        "timezone": values.get("timezone", ""),
    }
    if values.get("password"):
        changes["password"] = values["password"]  # blank: keep the current password
    try:
        updated = await run_in_threadpool(
            lambda: directory.update_user(user_id, acting_user_id=user.id, **changes)
        )
    except (ValidationError, Conflict) as exc:
        target = await run_in_threadpool(directory.require_user, user_id)
        return await _edit_page(request, directory, target, exc.status, errors=form_errors(exc))
    await replicator.replicate(updated)
    return RedirectResponse(f"/admin/users?updated={updated.id}", status_code=303)
