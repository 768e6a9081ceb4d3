"""Converting a lead into a customer: the customers service decides whether it already exists.

The lead needs a registered company name or a tax id. ``create_customer`` runs the customers
service's duplicate check; its Conflict names what the caller may see:

- the tax id is taken by a customer the caller may read → the lead is LINKED to it;
- a likely duplicate by name: exactly one the caller may read (and no tax id contradicting the
  lead's) → linked; several → Conflict listing them (``customer_id`` picks one, ``force`` creates);
- a match the caller may not read → Conflict saying so (a duplicate check must not become a way
  to browse another team's customers), so they ask its owner or their manager;
- no match → created, owned by the lead's owner.

The lead's contact and notes are carried over (a contact, and one follow-up with the notes) as
the caller, then the lead is marked converted with the customer's id, name and owner. The
customers service is another database: if this transaction fails after it created the customer,
running the conversion again finds that customer and links it.
"""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sqlalchemy import select

from sales.domain import leads as rules
from sales.handlers import replicas
from sales.handlers.lead_common import (
    bump,
    check_version,
    end_assignment,
    lead_state,
    load,
    record,
    require_open,
    require_write,
)
from sales.storage.models import LeadNoteRow, LeadRow
from sales.storage.unit import SalesUnit

FOLLOW_UP_MAX = 10_000  # the customers service's follow-up content limit


def convert_lead(
    unit: SalesUnit, lead_id: Any, data: Any = None, expected_version: Any = None
) -> dict[str, Any]:
    values = rules.clean_convert(data)
    row = load(unit, lead_id, lock=True)
    require_write(unit.caller, row)
    check_version(row, expected_version)
    require_open(row)
    name = values.get("company_name") or row.company_name
    tax_id = values.get("tax_id") or row.tax_id
    if values.get("customer_id"):
        customer, linked = _readable(unit, values["customer_id"], field="customer_id"), True
    else:
        rules.conversion_identity(name, tax_id)
        customer, linked = _create_or_match(unit, row, name, tax_id, force=values["force"])
    carried = _carry(unit, row, customer["id"], linked=linked)
    ref = replicas.customer_ref(unit, customer["id"])
    before = lead_state(row)
    now = utcnow()
    end_assignment(unit, row, "converted", now)
    row.company_name, row.tax_id = name, tax_id
    row.status = "converted"
    row.customer_id = ref.id
    row.customer_name = ref.name
    row.customer_owner_id = ref.owner_id
    row.converted_at = now
    bump(row, now)
    state = record(
        unit, row, "converted", before, reason="linked to an existing customer" if linked else None
    )
    return {**state, "conversion": {"customer_id": ref.id, "linked": linked, **carried}}


def _readable(unit: SalesUnit, customer_id: str, *, field: str) -> dict[str, Any]:
    try:
        return unit.customers.get_customer(unit.caller, customer_id)
    except (NotFound, PermissionDenied):
        raise ValidationError.for_field(field, f"no customer {customer_id} you may see") from None


def _create_or_match(
    unit: SalesUnit, row: LeadRow, name: str, tax_id: str | None, *, force: bool
) -> tuple[dict[str, Any], bool]:
    data: dict[str, Any] = {
        "name": name,
        "tax_id": tax_id,
        "region": row.region,
        "source": f"lead:{row.source}",
        "owner_id": row.owner_id or unit.caller.user_id,
    }
    try:
        return unit.customers.create_customer(unit.caller, {k: v for k, v in data.items() if v}, force), False
    except Conflict as exc:
        return _match(unit, exc, name, tax_id), True


def _match(unit: SalesUnit, exc: Conflict, name: str, tax_id: str | None) -> dict[str, Any]:
    by_field = {e.get("field"): e for e in exc.errors if isinstance(e, dict)}
    if "tax_id" in by_field:
        existing = by_field["tax_id"].get("existing_id")
        if not existing:
            raise Conflict(
                f"a customer with tax id {tax_id} exists that you may not see; ask its owner or your "
                "manager to convert this lead",
                [{"field": "tax_id", "message": "belongs to a customer you may not see"}],
            )
        try:
            return unit.customers.get_customer(unit.caller, existing)
        except (NotFound, PermissionDenied):
            raise Conflict(
                f"tax id {tax_id} belongs to customer {existing}, which you may not see",
                [{"field": "tax_id", "message": "belongs to a customer you may not see"}],
            ) from None
    if "name" not in by_field:
        raise exc
    candidates = [c for c in by_field["name"].get("candidates") or [] if isinstance(c, dict) and c.get("id")]
    if not candidates:
        raise Conflict(
            f"a customer named like {name!r} exists that you may not see; ask its owner or your manager, "
            "or pass force=true to create a new customer anyway",
            [{"field": "company_name", "message": "matches a customer you may not see"}],
        )
    if len(candidates) > 1:
        listed = ", ".join(f"{c.get('name')} ({c['id']})" for c in candidates)
        raise Conflict(
            f"several customers match {name!r}: {listed}; pass customer_id to link one, or force=true",
            [{"field": "customer_id", "message": "choose one of the matching customers"}],
        )
    customer = unit.customers.get_customer(unit.caller, candidates[0]["id"])
    if tax_id and customer.get("tax_id") and customer["tax_id"] != tax_id:
        raise Conflict(
            f"{customer['name']} ({customer['id']}) has a similar name but another tax id; pass "
            "force=true to create a new customer, or customer_id to link it",
            [{"field": "tax_id", "message": f"differs from {customer['name']}'s"}],
        )
    return customer


def _carry(unit: SalesUnit, row: LeadRow, customer_id: str, *, linked: bool) -> dict[str, Any]:
    """The lead's contact and notes, onto the customer (as the caller, so the customers service's
    write check applies: a linked customer the caller may read but not change keeps its records)."""
    carried: dict[str, Any] = {"contact_id": None, "follow_up_id": None}
    try:
        if row.contact_name and not (linked and _has_contact(unit, customer_id, row.contact_name)):
            contact = {
                "name": row.contact_name,
                "phones": [row.phone] if row.phone else [],
                "emails": [row.email] if row.email else [],
            }
            created = unit.customers.call(
                unit.caller, "create_contact", customer_id=customer_id, data=contact
            )
            carried["contact_id"] = created["id"]
        notes = unit.session.scalars(
            select(LeadNoteRow).where(LeadNoteRow.lead_id == row.id).order_by(LeadNoteRow.at, LeadNoteRow.id)
        )
        listed = [{"at": isoformat(n.at), "author_id": n.author_id, "note": n.note} for n in notes]
        content = rules.conversion_note(lead_state(row), listed, limit=FOLLOW_UP_MAX)
        follow_up = unit.customers.call(
            unit.caller,
            "create_follow_up",
            customer_id=customer_id,
            data={"channel": "other", "content": content},
        )
        carried["follow_up_id"] = follow_up["id"]
    except PermissionDenied:
        if not linked:
            raise
        carried["skipped"] = "you may not add records to the linked customer"
    return carried


def _has_contact(unit: SalesUnit, customer_id: str, name: str) -> bool:
    page = unit.customers.call(unit.caller, "list_contacts", customer_id=customer_id, limit=200)
    return any(item.get("name") == name for item in page.get("items", []))
