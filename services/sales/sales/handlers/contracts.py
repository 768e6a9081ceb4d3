"""Contracts (合同): drawn from a quote's final version, approved when the price is special,
signed, archived; or rejected / cancelled. Every change is one ``unit.record`` (event + audit)."""

from __future__ import annotations

from typing import Any

from kernel import listing
from kernel.access import AccessPolicy
from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.listing import read_filters
from kernel.replicas import CustomerRef
from kernel.repository import check_version as kernel_check_version
from sqlalchemy import select

from sales import policy
from sales.contracts.deals import (
    CONTRACT_CREATED,
    CONTRACT_SIGNED,
    CONTRACT_STATUS_LABELS,
    CONTRACT_STATUSES,
    CONTRACT_UPDATED,
    MAX_QUOTE_VERSION,
    OPEN_CONTRACT_STATUSES,
)
from sales.domain import deals as rules
from sales.handlers import replicas
from sales.handlers.numbers import next_number
from sales.storage.models import (
    ContractRow,
    OpportunityRow,
    OrderRow,
    QuoteRow,
    QuoteVersionRow,
)
from sales.storage.unit import SalesUnit

FILTERS = ("customer_id", "status", "quote_id")


# -- shared by contracts and orders ---------------------------------------------------------------
def ownership(row: Any) -> dict[str, Any]:
    return {"owner_id": row.owner_id, "team_id": row.team_id, "customer_owner_id": row.customer_owner_id}


def require_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValidationError.for_field(field, "must be a non-empty string of at most 64 characters")
    return value.strip()


def check_version(row: Any, expected_version: Any) -> None:
    kernel_check_version(row, expected_version, noun="record")


def paged(
    unit: SalesUnit, model: Any, policy_: AccessPolicy, filters: dict[str, str], cursor: Any, limit: Any
) -> tuple[list[Any], str | None]:
    return listing.paged(unit.session, unit.caller, model, policy_, filters, cursor, limit)


# -- state ---------------------------------------------------------------------------------------
def contract_state(row: ContractRow, customer_name: str | None, order_id: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "quote_id": row.quote_id,
        "quote_version": row.quote_version,
        "opportunity_id": row.opportunity_id,
        "customer_id": row.customer_id,
        "customer_name": customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "title": row.title,
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "special_price": row.special_price,
        "approval_status": rules.approval_status(row.special_price, row.status, row.approved_at),
        "status": row.status,
        "status_label": CONTRACT_STATUS_LABELS.get(row.status, row.status),
        "approved_by": row.approved_by,
        "approved_at": isoformat(row.approved_at),
        "signed_at": isoformat(row.signed_at),
        "archived_at": isoformat(row.archived_at),
        "decision_comment": row.decision_comment,
        "cancel_reason": row.cancel_reason,
        "order_id": order_id,
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "version": row.version,
    }


def order_of(unit: SalesUnit, contract_id: str) -> OrderRow | None:
    return unit.session.scalars(select(OrderRow).where(OrderRow.contract_id == contract_id)).one_or_none()


def state_of(unit: SalesUnit, row: ContractRow) -> dict[str, Any]:
    order = order_of(unit, row.id)
    names = replicas.customer_names(unit, [row.customer_id])
    return contract_state(row, names.get(row.customer_id), order.id if order is not None else None)


def load_contract(unit: SalesUnit, contract_id: Any, *, lock: bool = False) -> ContractRow:
    """The contract if the caller may read it (NotFound otherwise: no existence leak)."""
    contract_id = require_id(contract_id, "contract_id")
    stmt = select(ContractRow).where(ContractRow.id == contract_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.CONTRACT.can_read(unit.caller, ownership(row)):
        raise NotFound(f"contract {contract_id} does not exist")
    return row


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    skip = {"version", "updated_at", "status_label"}
    return {k: [before.get(k), v] for k, v in after.items() if k not in skip and before.get(k) != v}


# -- create --------------------------------------------------------------------------------------
def create_contract(unit: SalesUnit, quote_id: Any, version: Any, data: Any = None) -> dict[str, Any]:
    """From the quote's final version (approved or sent); one open contract per version."""
    quote_id = require_id(quote_id, "quote_id")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_QUOTE_VERSION:
        raise ValidationError.for_field("version", f"must be an integer from 1 to {MAX_QUOTE_VERSION}")
    special = _special_flag(data)
    # The quote row is the lock that serialises contracts of one quote (the unique index backs it).
    quote = unit.session.scalars(
        select(QuoteRow)
        .where(QuoteRow.id == quote_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if quote is None or not policy.QUOTE.can_read(unit.caller, ownership(quote)):
        raise NotFound(f"quote {quote_id} does not exist")
    if not policy.can_write(unit.caller, ownership(quote)):
        raise PermissionDenied("you may not draw contracts from this quote")
    row_version = unit.session.scalars(
        select(QuoteVersionRow).where(QuoteVersionRow.quote_id == quote.id, QuoteVersionRow.n == version)
    ).one_or_none()
    if row_version is None:
        raise NotFound(
            f"quote {quote_id} has no version {version}", [{"field": "version", "message": "no such version"}]
        )
    rules.check_quote_version(
        version=version,
        final_version=quote.final_version if row_version.is_final else None,
        status=row_version.status,
    )
    existing = unit.session.scalars(
        select(ContractRow).where(
            ContractRow.quote_id == quote.id,
            ContractRow.quote_version == version,
            ContractRow.status.in_(OPEN_CONTRACT_STATUSES),
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"version {version} of this quote already has contract {existing.number} ({existing.id})",
            [{"field": "version", "message": "already has an open contract", "existing_id": existing.id}],
        )
    opportunity = unit.session.get(OpportunityRow, quote.opportunity_id)
    customer = replicas.customer_ref(unit, quote.customer_id)
    now = utcnow()
    row = ContractRow(
        id=new_id(),
        number=next_number(unit, "contract"),
        quote_id=quote.id,
        quote_version=version,
        opportunity_id=quote.opportunity_id,
        customer_id=quote.customer_id,
        customer_owner_id=quote.customer_owner_id,
        owner_id=quote.owner_id,
        team_id=quote.team_id,
        title=(opportunity.title if opportunity is not None else None) or f"{customer.name} 合同",
        amount_minor=row_version.total_minor,
        currency=row_version.currency,
        special_price=bool(row_version.needs_approval or special),
        status="pending_review",
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    unit.session.add(row)
    unit.session.flush()
    state = contract_state(row, customer.name, None)
    unit.record(
        "contract",
        "created",
        state,
        customer_id=row.customer_id,
        changes=_changes({}, state),
        event_type=CONTRACT_CREATED,
    )
    return state


def _special_flag(data: Any) -> bool:
    if data is None:
        return False
    if not isinstance(data, dict):
        raise ValidationError.for_field("data", "must be an object")
    errors = FieldErrors()
    for key in data:
        if key != "special_price":
            errors.add(key, "is not a known field")
    flag = data.get("special_price")
    if flag is not None and not isinstance(flag, bool):
        errors.add("special_price", "must be true or false")
    errors.raise_if_any()
    return bool(flag)


# -- decisions -----------------------------------------------------------------------------------
def _decide(
    unit: SalesUnit, contract_id: Any, action: str, expected_version: Any
) -> tuple[ContractRow, dict[str, Any], str]:
    row = load_contract(unit, contract_id, lock=True)
    check_version(row, expected_version)
    before = state_of(unit, row)
    target = rules.contract_move(action, row.status)
    return row, before, target


def _publish(
    unit: SalesUnit,
    row: ContractRow,
    before: dict[str, Any],
    action: str,
    *,
    event_type: str = CONTRACT_UPDATED,
) -> dict[str, Any]:
    row.updated_at = utcnow()
    row.version += 1
    state = state_of(unit, row)
    unit.record(
        "contract",
        action,
        state,
        customer_id=row.customer_id,
        changes=_changes(before, state),
        event_type=event_type,
    )
    return state


def approve_contract(
    unit: SalesUnit, contract_id: Any, comment: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    """A team lead approves the special price (never the contract's owner)."""
    text = rules.clean_comment(comment, "comment", required=False)
    row, before, _ = _decide(unit, contract_id, "approve", expected_version)
    if not policy.can_approve(unit.caller, ownership(row)):
        raise PermissionDenied("only the team's manager or an admin (never the owner) may approve a contract")
    rules.check_approvable(row.special_price, row.approved_at)
    row.approved_by = unit.caller.user_id
    row.approved_at = utcnow()
    row.decision_comment = text
    return _publish(unit, row, before, "approved")


def reject_contract(
    unit: SalesUnit, contract_id: Any, comment: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    """A team lead rejects a pending contract, saying why."""
    text = rules.clean_comment(comment, "comment", required=True)
    row, before, target = _decide(unit, contract_id, "reject", expected_version)
    if not policy.can_approve(unit.caller, ownership(row)):
        raise PermissionDenied("only the team's manager or an admin (never the owner) may reject a contract")
    row.status = target
    row.decision_comment = text
    return _publish(unit, row, before, "rejected")


def sign_contract(unit: SalesUnit, contract_id: Any, expected_version: Any = None) -> dict[str, Any]:
    row, before, target = _decide(unit, contract_id, "sign", expected_version)
    _require_write(unit, row, "sign")
    rules.check_can_sign(row.special_price, row.approved_at)
    row.status = target
    row.signed_at = utcnow()
    return _publish(unit, row, before, "signed", event_type=CONTRACT_SIGNED)


def archive_contract(unit: SalesUnit, contract_id: Any, expected_version: Any = None) -> dict[str, Any]:
    row, before, target = _decide(unit, contract_id, "archive", expected_version)
    _require_write(unit, row, "archive")
    row.status = target
    row.archived_at = utcnow()
    return _publish(unit, row, before, "archived")


def cancel_contract(
    unit: SalesUnit, contract_id: Any, reason: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    """Cancel a pending or signed contract, unless a (live) order was placed from it."""
    text = rules.clean_comment(reason, "reason", required=False)
    row, before, target = _decide(unit, contract_id, "cancel", expected_version)
    _require_write(unit, row, "cancel")
    order = order_of(unit, row.id)
    if order is not None and order.status != "cancelled":
        raise Conflict(
            f"order {order.number} was placed from this contract: cancel the order first",
            [{"field": "order_id", "message": "an order exists", "existing_id": order.id}],
        )
    row.status = target
    row.cancel_reason = text
    return _publish(unit, row, before, "cancelled")


def _require_write(unit: SalesUnit, row: ContractRow, action: str) -> None:
    if not policy.can_write(unit.caller, ownership(row)):
        raise PermissionDenied(f"you may not {action} this contract")


def order_placed(unit: SalesUnit, row: ContractRow, order_id: str) -> dict[str, Any]:
    """Re-publish the contract (locked by the caller) with the order now placed from it."""
    before = contract_state(row, None, None)
    row.updated_at = utcnow()
    row.version += 1
    state = state_of(unit, row)
    unit.record(
        "contract",
        "updated",
        state,
        customer_id=row.customer_id,
        changes={"order_id": [before["order_id"], order_id]},
        event_type=CONTRACT_UPDATED,
    )
    return state


# -- reads ---------------------------------------------------------------------------------------
def get_contract(unit: SalesUnit, contract_id: Any) -> dict[str, Any]:
    return state_of(unit, load_contract(unit, contract_id))


def list_contracts(
    unit: SalesUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    wanted = read_filters(filters, FILTERS, {"status": CONTRACT_STATUSES})
    rows, next_cursor = paged(unit, ContractRow, policy.CONTRACT, wanted, cursor, limit)
    names = replicas.customer_names(unit, {r.customer_id for r in rows})
    placed = unit.session.execute(
        select(OrderRow.contract_id, OrderRow.id).where(OrderRow.contract_id.in_([r.id for r in rows]))
    )
    orders = {contract_id: order_id for contract_id, order_id in placed}
    items = [contract_state(r, names.get(r.customer_id), orders.get(r.id)) for r in rows]
    return {"items": items, "next_cursor": next_cursor}


# -- the customer's name or owner changed --------------------------------------------------------
def republish_for_customer(unit: SalesUnit, ref: CustomerRef) -> None:
    """Contracts carry the customer's name and owner (the "shared" grant): publish them again."""
    rows = unit.session.scalars(
        select(ContractRow)
        .where(ContractRow.customer_id == ref.id)
        .order_by(ContractRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.customer_owner_id = ref.owner_id
        row.updated_at = utcnow()
        row.version += 1
        unit.record("contract", "updated", state_of(unit, row), customer_id=row.customer_id)


if republish_for_customer not in replicas.REPUBLISHERS:
    replicas.REPUBLISHERS.append(republish_for_customer)
