"""Pages of the sales service's leads area: the list (mine / the pool / all I may see) with claim
buttons, a new-lead form and a paste-to-import box; a lead's page with its notes, follow-up form,
conversion form and the pool moves. Form posts redirect back (post/redirect/get) or re-render the
page with the errors next to the form."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pydantic import ValidationError as PydanticValidationError
from sales.contracts import leads as c

from gateway.api.deps import DirectoryDep
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.auth.records import UserRecord
from gateway.services.sales.api_leads import LeadConvert, LeadCreate, Leads, RuleCreate
from gateway.services.sales.client_leads import LeadsRpc
from gateway.web.forms import form_errors, optional, read_form
from gateway.web.session import WebUser
from gateway.web.templating import render

router = APIRouter(include_in_schema=False)
TABS = ("mine", "pool", "all")
# Columns of a pasted import line (comma, tab or full-width comma separated).
PASTE_COLUMNS = ("company_name", "contact_name", "phone", "email", "source", "grade", "region")
PASTE_MAX_CHARS = 200_000


async def _people(directory: Directory) -> dict[str, Any]:
    names = await run_in_threadpool(directory.display_names)
    return {"names": names}


def _lead_url(lead_id: str) -> str:
    return f"/leads/{quote(lead_id, safe='')}"


def _labels() -> dict[str, Any]:
    return {
        "source_labels": c.SOURCE_LABELS,
        "status_labels": c.STATUS_LABELS,
        "sources": c.LEAD_SOURCES,
        "grades": c.LEAD_GRADES,
    }


async def _list_page(
    request: Request,
    user: UserRecord,
    service: LeadsRpc,
    directory: Directory,
    *,
    tab: str = "mine",
    q: str | None = None,
    cursor: str | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    filters: dict[str, Any] = {}
    if tab == "mine":
        filters["owner_id"] = user.id
    elif tab == "pool":
        filters["pool"] = True
    if q and q.strip():
        filters["q"] = q.strip()
    page = await service.list_leads(user.caller, filters, cursor or None, 50)
    next_cursor = page.get("next_cursor")
    query = {k: v for k, v in (("tab", tab), ("q", q)) if v}
    context = {
        "nav": "leads",
        "leads": page["items"],
        "tab": tab,
        "q": q or "",
        "next_cursor": next_cursor,
        "next_query": urlencode({**query, "cursor": next_cursor}) if next_cursor else "",
        "values": {},
        "errors": [],
        "bulk": None,
        **_labels(),
        **(await _people(directory)),
        **(extra or {}),
    }
    return render(request, "leads_list.html", context, status_code=status_code)


@router.get("/leads")
async def lead_list(
    request: Request,
    user: WebUser,
    service: Leads,
    directory: DirectoryDep,
    tab: str = Query("mine", pattern=f"^({'|'.join(TABS)})$"),
    q: str | None = Query(None, max_length=200),
    cursor: str | None = Query(None, max_length=2048),
) -> Response:
    require(user, "leads:read")
    return await _list_page(request, user, service, directory, tab=tab, q=q, cursor=cursor)


@router.post("/leads")
async def create_lead(request: Request, user: WebUser, service: Leads, directory: DirectoryDep) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    raw: dict[str, Any] = {
        key: optional(values, key) for key in (*PASTE_COLUMNS, "tax_id", "notes", "assign")
    }
    try:
        body = LeadCreate.model_validate({k: v for k, v in raw.items() if v is not None})
        record = await service.create_lead(user.caller, body.model_dump(mode="json", exclude_none=True))
    except (PydanticValidationError, ValidationError, PermissionDenied, Conflict) as exc:
        extra = {"values": values, "errors": form_errors(exc)}
        return await _list_page(request, user, service, directory, extra=extra, status_code=422)
    return RedirectResponse(_lead_url(record["id"]), status_code=303)


def parse_paste(text: str) -> list[dict[str, Any]]:
    """One lead per line: company, contact, phone, email, source, grade, region (blank = left out)."""
    rows: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.replace("\t", ",").replace("，", ",").split(",")]
        rows.append({key: cell for key, cell in zip(PASTE_COLUMNS, cells, strict=False) if cell})
    return rows


@router.post("/leads/import")
async def import_leads(request: Request, user: WebUser, service: Leads, directory: DirectoryDep) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    rows = parse_paste(values.get("rows", "")[:PASTE_MAX_CHARS])
    if not rows or len(rows) > c.BULK_MAX_ROWS:
        message = f"paste 1 to {c.BULK_MAX_ROWS} lines, one lead per line"
        extra = {"errors": [{"field": "rows", "message": message}], "paste": values.get("rows", "")}
        return await _list_page(request, user, service, directory, extra=extra, status_code=422)
    result = await service.create_leads(user.caller, rows)
    for item in result["results"]:
        item["company_name"] = rows[item["index"]].get("company_name", "")
    return await _list_page(request, user, service, directory, extra={"bulk": result})


SELLER_ROLES = ("sales", "manager")


async def _team_members(directory: Directory, user: UserRecord) -> list[UserRecord]:
    """Who a manager may give leads to (their team's sellers); an admin: every seller."""
    if not user.has_any({"admin", "manager"}):
        return []
    users = await run_in_threadpool(directory.list_users)
    return [
        u
        for u in users
        if u.active
        and any(r in SELLER_ROLES for r in u.roles)
        and ("admin" in user.roles or (user.team_id is not None and u.team_id == user.team_id))
    ]


async def _rules_page(
    request: Request,
    user: UserRecord,
    service: LeadsRpc,
    directory: Directory,
    *,
    errors: list[dict[str, Any]] | None = None,
    values: dict[str, Any] | None = None,
    dealt: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rules = await service.list_assignment_rules(user.caller, None)
    context = {
        "nav": "leads",
        "rules": rules["items"],
        "members": await _team_members(directory, user),
        "strategies": c.RULE_STRATEGIES,
        "errors": errors or [],
        "values": values or {},
        "dealt": dealt,
        **_labels(),
        **(await _people(directory)),
    }
    return render(request, "leads_rules.html", context, status_code=status_code)


@router.get("/leads/rules")
async def rules_page(request: Request, user: WebUser, service: Leads, directory: DirectoryDep) -> Response:
    require(user, "leads:write")
    return await _rules_page(request, user, service, directory)


@router.post("/leads/rules")
async def create_rule(request: Request, user: WebUser, service: Leads, directory: DirectoryDep) -> Response:
    require(user, "leads:write")
    values = await read_form(request)  # the CSRF check; then the repeated members field
    form = await request.form()
    members = [m for m in form.getlist("members") if isinstance(m, str) and m]
    raw: dict[str, Any] = {
        "strategy": optional(values, "strategy"),
        "region": optional(values, "region"),
        "grade": optional(values, "grade"),
        "members": members,
        "daily_cap": _integer(values.get("daily_cap")),
        "priority": _integer(values.get("priority")),
    }
    try:
        body = RuleCreate.model_validate({k: v for k, v in raw.items() if v is not None})
        await service.create_assignment_rule(user.caller, body.model_dump(mode="json", exclude_none=True))
    except (PydanticValidationError, ValidationError, PermissionDenied, Conflict) as exc:
        return await _rules_page(
            request,
            user,
            service,
            directory,
            errors=form_errors(exc),
            values=values,
            status_code=_status_of(exc),
        )
    return RedirectResponse("/leads/rules", status_code=303)


def _integer(value: str | None) -> int | str | None:
    """A number typed in a form; anything else is passed on for the validator to name."""
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return value


@router.post("/leads/rules/{rule_id}/delete")
async def delete_rule(request: Request, rule_id: str, user: WebUser, service: Leads) -> Response:
    require(user, "leads:write")
    await read_form(request)
    await service.delete_assignment_rule(user.caller, rule_id)
    return RedirectResponse("/leads/rules", status_code=303)


@router.post("/leads/rules/deal")
async def deal_pool(request: Request, user: WebUser, service: Leads, directory: DirectoryDep) -> Response:
    require(user, "leads:write")
    await read_form(request)
    try:
        dealt = await service.assign_from_pool(user.caller, None, 100)
    except (ValidationError, PermissionDenied) as exc:
        return await _rules_page(
            request, user, service, directory, errors=form_errors(exc), status_code=_status_of(exc)
        )
    return await _rules_page(request, user, service, directory, dealt=dealt)


async def _detail(
    request: Request,
    user: UserRecord,
    service: LeadsRpc,
    directory: Directory,
    lead_id: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lead = await service.get_lead(user.caller, lead_id)
    context = {
        "nav": "leads",
        "lead": lead,
        "errors": errors or [],
        "form": form,
        "values": values or {},
        "members": await _team_members(directory, user),
        **_labels(),
        **(await _people(directory)),
    }
    return render(request, "leads_detail.html", context, status_code=status_code)


@router.get("/leads/{lead_id}")
async def lead_page(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:read")
    return await _detail(request, user, service, directory, lead_id)


def _status_of(exc: Exception) -> int:
    return 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, PermissionDenied) else 422


async def _act(
    request: Request,
    user: UserRecord,
    service: LeadsRpc,
    directory: Directory,
    lead_id: str,
    form: str,
    values: dict[str, Any],
    action: Any,
) -> Response:
    try:
        await action()
    except NotFound:
        raise
    except (PydanticValidationError, ValidationError, PermissionDenied, Conflict) as exc:
        return await _detail(
            request,
            user,
            service,
            directory,
            lead_id,
            errors=form_errors(exc),
            form=form,
            values=values,
            status_code=_status_of(exc),
        )
    return RedirectResponse(_lead_url(lead_id), status_code=303)


@router.post("/leads/{lead_id}/claim")
async def claim(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    return await _act(
        request,
        user,
        service,
        directory,
        lead_id,
        "claim",
        values,
        lambda: service.claim_lead(user.caller, lead_id, None),
    )


@router.post("/leads/{lead_id}/assign")
async def assign(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    owner_id = values.get("owner_id", "")
    return await _act(
        request,
        user,
        service,
        directory,
        lead_id,
        "assign",
        values,
        lambda: service.assign_lead(user.caller, lead_id, owner_id, None),
    )


@router.post("/leads/{lead_id}/release")
async def release(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    reason = optional(values, "reason")
    return await _act(
        request,
        user,
        service,
        directory,
        lead_id,
        "release",
        values,
        lambda: service.release_lead(user.caller, lead_id, reason, None),
    )


@router.post("/leads/{lead_id}/follow-ups")
async def follow_up(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    note = values.get("note", "").strip()
    return await _act(
        request,
        user,
        service,
        directory,
        lead_id,
        "follow_up",
        values,
        lambda: service.log_lead_follow_up(user.caller, lead_id, note, None),
    )


@router.post("/leads/{lead_id}/disqualify")
async def disqualify(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)
    reason = values.get("reason", "").strip()
    return await _act(
        request,
        user,
        service,
        directory,
        lead_id,
        "disqualify",
        values,
        lambda: service.disqualify_lead(user.caller, lead_id, reason, None),
    )


@router.post("/leads/{lead_id}/convert")
async def convert(
    request: Request, lead_id: str, user: WebUser, service: Leads, directory: DirectoryDep
) -> Response:
    require(user, "leads:write")
    values = await read_form(request)

    async def run() -> None:
        raw: dict[str, Any] = {k: optional(values, k) for k in ("company_name", "tax_id", "customer_id")}
        raw["force"] = values.get("force") == "1"
        body = LeadConvert.model_validate({k: v for k, v in raw.items() if v is not None})
        await service.convert_lead(
            user.caller, lead_id, body.model_dump(mode="json", exclude_none=True), None
        )

    return await _act(request, user, service, directory, lead_id, "convert", values, run)


ROUTERS: tuple[APIRouter, ...] = (router,)
