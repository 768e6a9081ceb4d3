"""Opportunity use cases: create, read (with the stage history), edit, move the stage, list,
delete; the managed lost reasons and stage probabilities; re-publishing after a customer change.

Stage moves go through ``opportunity_core.move_stage`` (the rules, the history row, the event and
the audit line in one step); everything else here is the fields around it.
"""

from __future__ import annotations

from typing import Any

from kernel import access_sql
from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor, page_limit
from kernel.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from kernel.repository import check_version as kernel_check_version
from sqlalchemy import Select, func, select

from sales import policy
from sales.contracts import opportunities as c
from sales.domain import opportunities as rules
from sales.domain.stages import parse_stage
from sales.handlers import replicas
from sales.handlers.opportunity_core import (
    load_opportunity,
    move_stage,
    opportunity_state,
    require_write,
    state_of,
)
from sales.storage.models import (
    DirectoryUserRow,
    LostReasonRow,
    OpportunityRow,
    QuoteRow,
    StageChangeRow,
    StageSettingRow,
)
from sales.storage.unit import SalesUnit

OWNER_ROLES = ("sales", "manager")  # who holds a book of opportunities
LIST_FILTERS = frozenset({"customer_id", "stage", "owner_id", "team_id", "status"})
STATUSES = ("open", "closed")


# -- helpers -------------------------------------------------------------------------------------
def _owner_and_team(unit: SalesUnit, owner_id: str | None) -> tuple[str, str | None]:
    """Who owns the new (or re-assigned) opportunity and the team it counts for.

    Sales own what they create; a manager may give it to a member of their team, an admin to
    anyone who sells. The team is the owner's, from the directory replica."""
    caller = unit.caller
    if owner_id is None or owner_id == caller.user_id:
        row = unit.session.get(DirectoryUserRow, caller.user_id)
        return caller.user_id, (row.team_id if row is not None and row.team_id else caller.team_id)
    user = unit.session.get(DirectoryUserRow, owner_id)
    if user is None or not user.active or not set(user.roles or ()) & set(OWNER_ROLES):
        raise ValidationError.for_field("owner_id", f"{owner_id!r} is not an active sales user")
    if not (caller.is_admin or policy.is_team_manager(caller, user.team_id)):
        raise PermissionDenied(
            "only a manager of the owner's team or an admin may give an opportunity to someone else",
            [{"field": "owner_id", "message": "not yours to assign"}],
        )
    return user.id, user.team_id


def check_version(row: OpportunityRow, expected_version: Any) -> None:
    kernel_check_version(row, expected_version, noun="opportunity")


def _history(unit: SalesUnit, opportunity_id: str) -> list[dict[str, Any]]:
    rows = unit.session.scalars(
        select(StageChangeRow)
        .where(StageChangeRow.opportunity_id == opportunity_id)
        .order_by(StageChangeRow.at, StageChangeRow.id)
    )
    return [
        {
            "from_stage": r.from_stage,
            "to_stage": r.to_stage,
            "at": isoformat(r.at),
            "actor_id": r.actor_id,
            "amount_minor": r.amount_minor,
        }
        for r in rows
    ]


def _detail(unit: SalesUnit, row: OpportunityRow) -> dict[str, Any]:
    return {**state_of(unit, row), "stage_history": _history(unit, row.id)}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return diff(before, after, ignore=("version", "updated_at"))


# -- use cases ----------------------------------------------------------------------------------
def create_opportunity(unit: SalesUnit, data: Any) -> dict[str, Any]:
    values = rules.clean_create(data)
    customer = replicas.writable_customer(unit, values["customer_id"])
    owner_id, team_id = _owner_and_team(unit, values["owner_id"])
    now = utcnow()
    row = OpportunityRow(
        id=new_id(),
        customer_id=customer.id,
        customer_owner_id=customer.owner_id,
        title=values["title"],
        owner_id=owner_id,
        team_id=team_id,
        amount_minor=values["amount_minor"],
        currency=values["currency"],
        expected_close_date=values["expected_close_date"],
        stage="qualification",
        stage_changed_at=now,
        notes=values["notes"],
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    return insert_opportunity(unit, row)


def insert_opportunity(unit: SalesUnit, row: OpportunityRow) -> dict[str, Any]:
    """A new opportunity: its first history row (NULL → its stage), event and audit line."""
    unit.session.add(row)
    unit.session.add(
        StageChangeRow(
            id=new_id(),
            opportunity_id=row.id,
            from_stage=None,
            to_stage=row.stage,
            at=row.created_at,
            actor_id=unit.caller.user_id,
            amount_minor=row.amount_minor,
        )
    )
    unit.session.flush()
    state = state_of(unit, row)
    unit.record(
        "opportunity",
        "created",
        state,
        customer_id=row.customer_id,
        changes={k: [None, v] for k, v in state.items() if v is not None and k not in ("version",)},
        event_type=c.OPPORTUNITY_CREATED,
    )
    return {**state, "stage_history": _history(unit, row.id)}


def get_opportunity(unit: SalesUnit, opportunity_id: Any) -> dict[str, Any]:
    return _detail(unit, load_opportunity(unit, opportunity_id))


def update_opportunity(
    unit: SalesUnit, opportunity_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    row = load_opportunity(unit, opportunity_id, lock=True)
    require_write(unit, row)
    check_version(row, expected_version)
    values = rules.clean_update(changes)
    before = state_of(unit, row)
    if "owner_id" in values and values["owner_id"] != row.owner_id:
        row.owner_id, row.team_id = _owner_and_team(unit, values.pop("owner_id"))
    values.pop("owner_id", None)
    for key, value in values.items():
        setattr(row, key, value)
    after = state_of(unit, row)
    changed = _changes(before, after)
    if not changed:
        return _detail(unit, row)  # nothing to say: no new version, event or audit line
    row.version += 1
    row.updated_at = utcnow()
    state = state_of(unit, row)
    unit.record(
        "opportunity",
        "updated",
        state,
        customer_id=row.customer_id,
        changes=changed,
        event_type=c.OPPORTUNITY_UPDATED,
    )
    return _detail(unit, row)


def change_stage(
    unit: SalesUnit,
    opportunity_id: Any,
    stage: Any,
    lost_reason: Any = None,
    lost_note: Any = None,
    expected_version: Any = None,
) -> dict[str, Any]:
    target = parse_stage(stage)
    if lost_reason is not None and not isinstance(lost_reason, str):
        raise ValidationError.for_field("lost_reason", "must be a string")
    reason = (lost_reason or "").strip() or None
    note = rules.clean_lost_note(lost_note)
    row = load_opportunity(unit, opportunity_id, lock=True)
    require_write(unit, row)
    check_version(row, expected_version)
    move_stage(unit, row, target, lost_reason=reason, lost_note=note)
    return _detail(unit, row)


def delete_opportunity(unit: SalesUnit, opportunity_id: Any, expected_version: Any = None) -> None:
    """Remove an opportunity entered by mistake. Not once it is quoted or won: those carry
    documents (quotes, contracts, orders) and the funnel's history; close it as lost instead."""
    row = load_opportunity(unit, opportunity_id, lock=True)
    require_write(unit, row)
    check_version(row, expected_version)
    if row.stage == "won":
        raise Conflict("a won opportunity cannot be deleted", [{"field": "stage", "message": "won"}])
    quoted = unit.session.scalar(select(func.count()).where(QuoteRow.opportunity_id == row.id))
    if quoted:
        raise Conflict(
            "the opportunity has quotes; close it as lost instead",
            [{"field": "quotes", "message": f"{quoted} quote(s) belong to it"}],
        )
    before = state_of(unit, row)
    tombstone = {"id": row.id, "deleted": True, "version": row.version + 1, "customer_id": row.customer_id}
    unit.session.delete(row)  # its stage history goes with it (ON DELETE CASCADE)
    unit.session.flush()
    unit.record(
        "opportunity",
        "deleted",
        tombstone,
        customer_id=row.customer_id,
        changes={k: [v, None] for k, v in before.items() if v is not None and k != "version"},
        event_type=c.OPPORTUNITY_DELETED,
    )


def list_opportunities(
    unit: SalesUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    """Newest first, only what the caller may read (the OPPORTUNITY policy as SQL)."""
    size = page_limit(limit)
    filters = rules.require_mapping(filters or {}, "filters")
    errors = FieldErrors()
    for key in filters:
        if key not in LIST_FILTERS:
            errors.add(f"filters.{key}", "is not a known filter")
    stmt: Select[OpportunityRow] = select(OpportunityRow).where(
        access_sql.visible(
            policy.OPPORTUNITY,
            unit.caller,
            {
                "owner_id": OpportunityRow.owner_id,
                "team_id": OpportunityRow.team_id,
                "customer_owner_id": OpportunityRow.customer_owner_id,
            },
        )
    )
    for key, column in (
        ("customer_id", OpportunityRow.customer_id),
        ("owner_id", OpportunityRow.owner_id),
        ("team_id", OpportunityRow.team_id),
    ):
        value = filters.get(key)
        if value is None:
            continue
        if key == "owner_id" and value == "me":
            value = unit.caller.user_id
        if not isinstance(value, str) or not value or len(value) > rules.ID_MAX:
            errors.add(f"filters.{key}", "must be a non-empty string")
        else:
            stmt = stmt.where(column == value)
    if filters.get("stage") is not None:
        try:
            stmt = stmt.where(OpportunityRow.stage == parse_stage(filters["stage"], "filters.stage"))
        except ValidationError as exc:
            errors.errors.extend(exc.errors)
    status = filters.get("status")
    if status is not None:
        if status not in STATUSES:
            errors.add("filters.status", "must be open or closed")
        else:
            stages = c.OPEN_STAGES if status == "open" else c.CLOSED_STAGES
            stmt = stmt.where(OpportunityRow.stage.in_(stages))
    position = decode_cursor(cursor)
    if position is not None:
        after = position["id"]
        if not isinstance(after, str):
            errors.add("cursor", "is not a cursor returned by this API")
        else:
            stmt = stmt.where(OpportunityRow.id < after)
    errors.raise_if_any()
    rows = list(unit.session.scalars(stmt.order_by(OpportunityRow.id.desc()).limit(size + 1)))
    names = replicas.customer_names(unit, {r.customer_id for r in rows[:size]})
    items = [opportunity_state(r, names.get(r.customer_id)) for r in rows[:size]]
    more = len(rows) > size and items
    return {"items": items, "next_cursor": encode_cursor({"id": items[-1]["id"]}) if more else None}


# -- the managed lists: lost reasons, stage probabilities --------------------------------------
def _require_admin(unit: SalesUnit) -> None:
    if not unit.caller.is_admin:
        raise PermissionDenied("only an admin may change the funnel's settings")


def _reason_state(row: LostReasonRow) -> dict[str, Any]:
    return {"code": row.code, "label": row.label, "active": row.active, "position": row.position}


def list_lost_reasons(unit: SalesUnit, include_retired: Any = False) -> dict[str, Any]:
    """The whole (short) list as one page, in the order the UI offers it."""
    stmt = select(LostReasonRow).order_by(LostReasonRow.position, LostReasonRow.code)
    if include_retired is not True:
        stmt = stmt.where(LostReasonRow.active)
    return {"items": [_reason_state(r) for r in unit.session.scalars(stmt)], "next_cursor": None}


def add_lost_reason(unit: SalesUnit, data: Any) -> dict[str, Any]:
    _require_admin(unit)
    data = rules.require_mapping(data)
    errors = FieldErrors()
    for key in data:
        if key not in ("code", "label", "position"):
            errors.add(str(key), "is not a field of a lost reason")
    try:
        code = rules.clean_lost_reason_code(data.get("code"))
    except ValidationError as exc:
        errors.errors.extend(exc.errors)
        code = ""
    label = rules.clean_reason_label(errors, data.get("label"))
    position = 100 if data.get("position") is None else rules.clean_position(errors, data["position"])
    errors.raise_if_any()
    if unit.session.get(LostReasonRow, code) is not None:
        raise Conflict(f"lost reason {code!r} exists", [{"field": "code", "message": "already exists"}])
    row = LostReasonRow(code=code, label=label, active=True, position=position)
    unit.session.add(row)
    unit.session.flush()
    state = _reason_state(row)
    # Settings, not records: audited (no customer), no event (no read model holds them).
    unit.audit("lost_reason", code, "created", {k: [None, v] for k, v in state.items()}, customer_id="")
    return state


def update_lost_reason(unit: SalesUnit, code: Any, changes: Any) -> dict[str, Any]:
    """Relabel, reorder, retire (``active: false``: no longer offered; past opportunities keep
    it) or bring back a reason."""
    _require_admin(unit)
    row = unit.session.get(LostReasonRow, code, with_for_update=True) if isinstance(code, str) else None
    if row is None:
        raise NotFound(f"lost reason {code} does not exist")
    changes = rules.require_mapping(changes, "changes")
    errors = FieldErrors()
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "label":
            values[key] = rules.clean_reason_label(errors, value)
        elif key == "position":
            values[key] = rules.clean_position(errors, value)
        elif key == "active":
            if not isinstance(value, bool):
                errors.add("active", "must be true or false")
            values[key] = value
        else:
            errors.add(str(key), "is not a field of a lost reason")
    errors.raise_if_any()
    before = _reason_state(row)
    for key, value in values.items():
        setattr(row, key, value)
    state = _reason_state(row)
    changed = diff(before, state)
    if changed:
        unit.audit("lost_reason", row.code, "updated", changed, customer_id="")
    return state


def _settings(unit: SalesUnit) -> list[dict[str, Any]]:
    rows = unit.session.scalars(select(StageSettingRow).order_by(StageSettingRow.position))
    return [
        {
            "stage": r.stage,
            "label": c.STAGE_LABELS.get(r.stage, r.stage),
            "position": r.position,
            "probability_pct": r.probability_pct,
        }
        for r in rows
    ]


def get_stage_settings(unit: SalesUnit) -> list[dict[str, Any]]:
    return _settings(unit)


def set_stage_probabilities(unit: SalesUnit, probabilities: Any) -> list[dict[str, Any]]:
    _require_admin(unit)
    wanted = rules.clean_probabilities(probabilities, c.OPEN_STAGES)
    rows = {
        r.stage: r
        for r in unit.session.scalars(
            select(StageSettingRow).where(StageSettingRow.stage.in_(wanted)).with_for_update()
        )
    }
    changed: dict[str, list[Any]] = {}
    now = utcnow()
    for stage, pct in wanted.items():
        row = rows.get(stage)
        if row is None:
            row = StageSettingRow(
                stage=stage, position=c.STAGES.index(stage), probability_pct=pct, updated_at=now
            )
            unit.session.add(row)
            changed[stage] = [None, pct]
        elif row.probability_pct != pct:
            changed[stage] = [row.probability_pct, pct]
            row.probability_pct = pct
            row.updated_at = now
    if changed:
        unit.session.flush()
        unit.audit("stage_settings", "probabilities", "updated", changed, customer_id="")
    return _settings(unit)


# -- a customer renamed or handed over: its opportunities carry the new name and owner --------
def republish_customer(unit: SalesUnit, customer: CustomerRef) -> None:
    rows = unit.session.scalars(
        select(OpportunityRow)
        .where(OpportunityRow.customer_id == customer.id)
        .order_by(OpportunityRow.id)
        .with_for_update()
    )
    for row in rows:
        row.customer_owner_id = customer.owner_id
        row.version += 1
        # No change of its own: the event refreshes the copies (search), the audit line is the
        # customer's, so the change set is empty and ``record`` writes none.
        unit.record(
            "opportunity",
            "updated",
            state_of(unit, row),
            customer_id=row.customer_id,
            changes={},
            event_type=c.OPPORTUNITY_UPDATED,
        )


if republish_customer not in replicas.REPUBLISHERS:
    replicas.REPUBLISHERS.append(republish_customer)


# -- the search reindex reads every opportunity through the service's ``export`` RPC -------------
def export_opportunities(unit: SalesUnit, after: str, size: int) -> list[dict[str, Any]]:
    """States of the opportunities after id ``after`` (in id order), for ``export`` to page
    through (it checks the caller: admins and the search service)."""
    rows = list(
        unit.session.scalars(
            select(OpportunityRow).where(OpportunityRow.id > after).order_by(OpportunityRow.id).limit(size)
        )
    )
    names = replicas.customer_names(unit, {r.customer_id for r in rows})
    return [opportunity_state(r, names.get(r.customer_id)) for r in rows]
