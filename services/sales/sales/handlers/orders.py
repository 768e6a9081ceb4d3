"""Orders (订单): placed from a signed contract with a payment plan; placing one wins the
opportunity in the same transaction. ``order.placed`` carries the full order with its instalments:
finance makes its receivables from it, the opportunities area the renewal."""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied
from kernel.ids import new_id
from kernel.replicas import CustomerRef
from sqlalchemy import select

from sales import policy
from sales.contracts.deals import (
    ORDER_CANCELLED,
    ORDER_PLACED,
    ORDER_STATUS_LABELS,
    ORDER_STATUSES,
    ORDER_UPDATED,
)
from sales.domain import deals as rules
from sales.handlers import opportunity_core, replicas
from sales.handlers.contracts import (
    check_version,
    load_contract,
    ownership,
    paged,
    read_filters,
    require_id,
)
from sales.handlers.contracts import order_placed as contract_order_placed
from sales.handlers.numbers import next_number
from sales.storage.models import ContractRow, InstalmentRow, OrderRow
from sales.storage.unit import SalesUnit

FILTERS = ("customer_id", "status", "contract_id")


def order_state(
    row: OrderRow,
    instalments: list[InstalmentRow],
    *,
    customer_name: str | None,
    contract: ContractRow | None,
) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "contract_id": row.contract_id,
        "contract_number": contract.number if contract is not None else None,
        "quote_id": contract.quote_id if contract is not None else None,
        "opportunity_id": row.opportunity_id,
        "title": contract.title if contract is not None else None,
        "customer_id": row.customer_id,
        "customer_name": customer_name,
        "customer_owner_id": row.customer_owner_id,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "amount_minor": row.amount_minor,
        "currency": row.currency,
        "service_start": row.service_start.isoformat() if row.service_start else None,
        "service_end": row.service_end.isoformat() if row.service_end else None,
        "status": row.status,
        "status_label": ORDER_STATUS_LABELS.get(row.status, row.status),
        "placed_at": isoformat(row.placed_at),
        "cancelled_at": isoformat(row.cancelled_at),
        "cancel_reason": row.cancel_reason,
        "instalments": [
            {"seq": i.seq, "due_date": i.due_date.isoformat(), "amount_minor": i.amount_minor}
            for i in sorted(instalments, key=lambda i: i.seq)
        ],
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "version": row.version,
    }


def _instalments(unit: SalesUnit, order_ids: list[str]) -> dict[str, list[InstalmentRow]]:
    found: dict[str, list[InstalmentRow]] = {i: [] for i in order_ids}
    if order_ids:
        for item in unit.session.scalars(select(InstalmentRow).where(InstalmentRow.order_id.in_(order_ids))):
            found[item.order_id].append(item)
    return found


def state_of(unit: SalesUnit, row: OrderRow) -> dict[str, Any]:
    names = replicas.customer_names(unit, [row.customer_id])
    return order_state(
        row,
        _instalments(unit, [row.id])[row.id],
        customer_name=names.get(row.customer_id),
        contract=unit.session.get(ContractRow, row.contract_id),
    )


def load_order(unit: SalesUnit, order_id: Any, *, lock: bool = False) -> OrderRow:
    order_id = require_id(order_id, "order_id")
    stmt = select(OrderRow).where(OrderRow.id == order_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    row = unit.session.scalars(stmt).one_or_none()
    if row is None or not policy.ORDER.can_read(unit.caller, ownership(row)):
        raise NotFound(f"order {order_id} does not exist")
    return row


# -- place ---------------------------------------------------------------------------------------
def place_order(unit: SalesUnit, data: Any) -> dict[str, Any]:
    """From a signed contract, one per contract; the instalments add up to the contract amount."""
    plan = rules.clean_order(data)
    contract = load_contract(unit, plan.contract_id, lock=True)
    if not policy.can_write(unit.caller, ownership(contract)):
        raise PermissionDenied("you may not place an order for this contract")
    if contract.status != "signed":
        raise Conflict(
            f"contract {contract.number} is {contract.status}: an order is placed from a signed contract",
            [{"field": "contract_id", "message": f"contract is {contract.status}, must be signed"}],
        )
    existing = unit.session.scalars(select(OrderRow).where(OrderRow.contract_id == contract.id)).one_or_none()
    if existing is not None:
        raise Conflict(
            f"contract {contract.number} already has order {existing.number} ({existing.id})",
            [{"field": "contract_id", "message": "already has an order", "existing_id": existing.id}],
        )
    rules.check_plan_total(plan, contract.amount_minor)
    now = utcnow()
    row = OrderRow(
        id=new_id(),
        number=next_number(unit, "order"),
        contract_id=contract.id,
        opportunity_id=contract.opportunity_id,
        customer_id=contract.customer_id,
        customer_owner_id=contract.customer_owner_id,
        owner_id=contract.owner_id,
        team_id=contract.team_id,
        amount_minor=contract.amount_minor,
        currency=contract.currency,
        service_start=plan.service_start,
        service_end=plan.service_end,
        status="placed",
        placed_at=now,
        created_by=unit.caller.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    unit.session.add(row)
    unit.session.flush()  # the instalments reference it
    instalments = [
        InstalmentRow(
            id=new_id(), order_id=row.id, seq=i.seq, due_date=i.due_date, amount_minor=i.amount_minor
        )
        for i in plan.instalments
    ]
    unit.session.add_all(instalments)
    unit.session.flush()
    names = replicas.customer_names(unit, [row.customer_id])
    state = order_state(row, instalments, customer_name=names.get(row.customer_id), contract=contract)
    audited = {k: [None, state[k]] for k in ("number", "contract_id", "amount_minor", "currency", "status")}
    audited["service_period"] = [None, [state["service_start"], state["service_end"]]]
    audited["instalments"] = [None, state["instalments"]]
    unit.record(
        "order", "placed", state, customer_id=row.customer_id, changes=audited, event_type=ORDER_PLACED
    )
    contract_order_placed(unit, contract, row.id)
    opportunity_core.close_as_won(unit, contract.opportunity_id, order_id=row.id)
    return state


def cancel_order(
    unit: SalesUnit, order_id: Any, reason: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    """Cancel a placed order (finance drops its receivables on ``order.cancelled``)."""
    text = rules.clean_comment(reason, "reason", required=False)
    row = load_order(unit, order_id, lock=True)
    check_version(row, expected_version)
    if not policy.can_write(unit.caller, ownership(row)):
        raise PermissionDenied("you may not cancel this order")
    if row.status != "placed":
        raise Conflict(
            f"order {row.number} is {row.status}", [{"field": "status", "message": f"is {row.status}"}]
        )
    now = utcnow()
    row.status = "cancelled"
    row.cancelled_at = now
    row.cancel_reason = text
    row.updated_at = now
    row.version += 1
    state = state_of(unit, row)
    unit.record(
        "order",
        "cancelled",
        state,
        customer_id=row.customer_id,
        changes={"status": ["placed", "cancelled"], "cancel_reason": [None, text]},
        event_type=ORDER_CANCELLED,
    )
    return state


# -- reads ---------------------------------------------------------------------------------------
def get_order(unit: SalesUnit, order_id: Any) -> dict[str, Any]:
    return state_of(unit, load_order(unit, order_id))


def list_orders(
    unit: SalesUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    wanted = read_filters(filters, FILTERS, {"status": ORDER_STATUSES})
    rows, next_cursor = paged(unit, OrderRow, policy.ORDER, wanted, cursor, limit)
    names = replicas.customer_names(unit, {r.customer_id for r in rows})
    plans = _instalments(unit, [r.id for r in rows])
    contracts = {
        c.id: c
        for c in unit.session.scalars(
            select(ContractRow).where(ContractRow.id.in_([r.contract_id for r in rows]))
        )
    }
    items = [
        order_state(
            r, plans[r.id], customer_name=names.get(r.customer_id), contract=contracts.get(r.contract_id)
        )
        for r in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


def republish_for_customer(unit: SalesUnit, ref: CustomerRef) -> None:
    """Orders carry the customer's name and owner: publish them again (no audit: nothing of the
    order itself changed)."""
    rows = unit.session.scalars(
        select(OrderRow)
        .where(OrderRow.customer_id == ref.id)
        .order_by(OrderRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.customer_owner_id = ref.owner_id
        row.updated_at = utcnow()
        row.version += 1
        unit.record(
            "order", "updated", state_of(unit, row), customer_id=row.customer_id, event_type=ORDER_UPDATED
        )


if republish_for_customer not in replicas.REPUBLISHERS:
    replicas.REPUBLISHERS.append(republish_for_customer)
