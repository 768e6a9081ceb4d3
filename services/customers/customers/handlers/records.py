"""Reading across kinds: a customer's audit trail, and the paged export search reindexes from."""

from __future__ import annotations

from typing import Any

from kernel.cursor import encode_cursor, page_limit
from kernel.errors import NotFound, PermissionDenied, ValidationError

from customers import contracts as c
from customers import policy
from customers.domain import rules
from customers.handlers.common import ownership, page, position
from customers.handlers.kinds import BY_KIND
from customers.ports import CustomersUnit
from customers.storage import states


def get_audit(unit: CustomersUnit, customer_id: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    size = page_limit(limit)
    after = position(cursor)
    customer = unit.customers.get(customer_id) if isinstance(customer_id, str) and customer_id else None
    if customer is not None:
        owned = ownership(customer)
        rules.require_read(
            unit.caller, policy.AUDIT, owned.state(), subject=f"customer {customer.id}", customer=owned
        )
    elif not unit.caller.is_admin:
        raise NotFound(f"customer {customer_id} does not exist")
    # An admin may read the trail of a deleted customer: the trail outlives it.
    lines = unit.audit_log.page(str(customer_id), after, size + 1)
    return page([line.to_payload() for line in lines[:size]], lines, size)


def export(unit: CustomersUnit, kind: Any, cursor: Any = None, limit: Any = None) -> dict[str, Any]:
    if not unit.caller.is_admin:
        raise PermissionDenied("export is for admins and the search service")
    if kind not in c.EXPORT_KINDS:
        raise ValidationError.for_field("kind", f"must be one of {', '.join(c.EXPORT_KINDS)}")
    size = page_limit(limit, default=500, maximum=2000)
    after = position(cursor)
    start = after.id if after else ""
    if kind == "customer":
        datas = [states.customer_state(r) for r in unit.customers.export(start, size)]
    else:
        spec = BY_KIND[kind]
        rows = spec.repository(unit).export(start, size)
        customers = unit.customers.get_many([r.customer_id for r in rows])
        datas = [spec.state(r, customers[r.customer_id]) for r in rows]
    items = [
        {
            "type": f"{kind}.updated",
            "aggregate": {"type": kind, "id": d["id"], "version": d["version"]},
            "customer_id": d["id"] if kind == "customer" else d["customer_id"],
            "data": d,
        }
        for d in datas
    ]
    next_cursor = encode_cursor({"id": datas[-1]["id"]}) if len(datas) == size else None
    return {"items": items, "next_cursor": next_cursor}
