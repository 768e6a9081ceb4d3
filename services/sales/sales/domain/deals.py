"""The rules of contracts and orders, free of storage and framework.

Contract: 待审核 pending_review → 已签署 signed → 已归档 archived; a pending contract may be
rejected (by the approver) or cancelled, a signed one cancelled while no order holds it. A
special-price contract is signed only after a team lead approved the price.

Order: its payment plan (instalments) must add up to exactly the order amount, due dates in
order, every amount positive; a service period (both ends, end after start) is optional — without
one there is nothing to renew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kernel.errors import Conflict, FieldErrors, ValidationError

from sales.contracts.deals import CONTRACT_STATUS_LABELS, MAX_INSTALMENTS

# action -> the statuses it may start from, and where it leads
CONTRACT_MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "approve": (("pending_review",), None),  # the status stays: approval unlocks signing
    "reject": (("pending_review",), "rejected"),
    "sign": (("pending_review",), "signed"),
    "archive": (("signed",), "archived"),
    "cancel": (("pending_review", "signed"), "cancelled"),
}


def contract_move(action: str, status: str) -> str:
    """The status after ``action`` (Conflict naming ``status`` when not allowed from ``status``)."""
    sources, target = CONTRACT_MOVES[action]
    if status not in sources:
        allowed = "、".join(CONTRACT_STATUS_LABELS[s] for s in sources)
        raise Conflict(
            f"cannot {action} a contract that is {status} ({CONTRACT_STATUS_LABELS.get(status, status)}); "
            f"only from {', '.join(sources)} ({allowed})",
            [{"field": "status", "message": f"is {status}"}],
        )
    return target or status


def approval_status(special_price: bool, status: str, approved_at: Any) -> str:
    if not special_price:
        return "not_required"
    if approved_at is not None:
        return "approved"
    return "rejected" if status == "rejected" else "pending"


def check_can_sign(special_price: bool, approved_at: Any) -> None:
    if special_price and approved_at is None:
        raise Conflict(
            "a special-price contract needs a team lead's approval before it is signed",
            [{"field": "approval", "message": "special price not approved yet"}],
        )


def check_approvable(special_price: bool, approved_at: Any) -> None:
    if not special_price:
        raise Conflict(
            "this contract has no special price: it needs no approval",
            [{"field": "special_price", "message": "is false"}],
        )
    if approved_at is not None:
        raise Conflict(
            "the special price is already approved", [{"field": "approval", "message": "approved"}]
        )


def check_quote_version(*, version: int, final_version: int | None, status: str) -> None:
    """A contract is drawn from the quote's final version, once approved or sent."""
    if final_version != version:
        raise Conflict(
            f"version {version} is not the quote's final version"
            + (f" (version {final_version} is)" if final_version is not None else " (none is marked final)"),
            [{"field": "version", "message": "must be the final version"}],
        )
    if status not in ("approved", "sent"):
        raise Conflict(
            f"version {version} is {status}: a contract needs an approved or sent version",
            [{"field": "version", "message": f"is {status}, must be approved or sent"}],
        )


def clean_comment(value: Any, field: str, *, required: bool, max_len: int = 2000) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError.for_field(field, "is required")
        return None
    if not isinstance(value, str):
        raise ValidationError.for_field(field, "must be a string")
    value = value.strip()
    if len(value) > max_len:
        raise ValidationError.for_field(field, f"must be at most {max_len} characters")
    return value


# -- the order and its payment plan ---------------------------------------------------------------
@dataclass(frozen=True)
class PlannedInstalment:
    seq: int
    due_date: date
    amount_minor: int


@dataclass(frozen=True)
class OrderPlan:
    contract_id: str
    service_start: date | None
    service_end: date | None
    instalments: tuple[PlannedInstalment, ...]


ORDER_FIELDS = {"contract_id", "service_start", "service_end", "instalments"}
INSTALMENT_FIELDS = {"due_date", "amount_minor"}


def _day(errors: FieldErrors, field: str, value: Any, *, required: bool = False) -> date | None:
    if value is None:
        if required:
            errors.add(field, "is required")
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.add(field, "must be an ISO-8601 date, e.g. 2026-11-30")
    return None


def _amount(errors: FieldErrors, field: str, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, "must be an integer amount in minor units")
        return None
    if value <= 0:
        errors.add(field, "must be greater than 0")
        return None
    if value > 10**15:
        errors.add(field, "is too large")
        return None
    return value


def clean_order(data: Any, amount_minor: int | None = None) -> OrderPlan:
    """Validate an order request; every problem is reported at once, by field.

    ``amount_minor``: the order amount the instalments must add up to (None: the contract is
    not known yet, so the sum is checked later by ``check_plan_total``).
    """
    errors = FieldErrors()
    if not isinstance(data, dict):
        raise ValidationError.for_field("data", "must be an object")
    for key in data:
        if key not in ORDER_FIELDS:
            errors.add(key, "is not a known field")
    contract_id = data.get("contract_id")
    if not isinstance(contract_id, str) or not contract_id.strip() or len(contract_id) > 64:
        errors.add("contract_id", "must be a non-empty string of at most 64 characters")
    start = _day(errors, "service_start", data.get("service_start"))
    end = _day(errors, "service_end", data.get("service_end"))
    if (data.get("service_start") is None) != (data.get("service_end") is None):
        missing = "service_end" if data.get("service_end") is None else "service_start"
        errors.add(missing, "is required with the other end of the service period (give both or neither)")
    elif start is not None and end is not None and end <= start:
        errors.add("service_end", "must be after service_start")
    instalments = _instalments(errors, data.get("instalments"))
    errors.raise_if_any()
    plan = OrderPlan(
        contract_id=str(contract_id).strip(),
        service_start=start,
        service_end=end,
        instalments=tuple(instalments),
    )
    if amount_minor is not None:
        check_plan_total(plan, amount_minor)
    return plan


def _instalments(errors: FieldErrors, value: Any) -> list[PlannedInstalment]:
    if not isinstance(value, list) or not value:
        errors.add("instalments", "must be a list of at least one instalment {due_date, amount_minor}")
        return []
    if len(value) > MAX_INSTALMENTS:
        errors.add("instalments", f"must have at most {MAX_INSTALMENTS} instalments")
        return []
    planned: list[PlannedInstalment] = []
    previous: date | None = None
    for i, item in enumerate(value):
        field = f"instalments.{i}"
        if not isinstance(item, dict):
            errors.add(field, "must be an object {due_date, amount_minor}")
            continue
        for key in item:
            if key not in INSTALMENT_FIELDS:
                errors.add(f"{field}.{key}", "is not a known field")
        due = _day(errors, f"{field}.due_date", item.get("due_date"), required=True)
        amount = _amount(errors, f"{field}.amount_minor", item.get("amount_minor"))
        if due is not None and previous is not None and due < previous:
            errors.add(f"{field}.due_date", f"must not be before the previous instalment's ({previous})")
        if due is not None:
            previous = due
        if due is not None and amount is not None:
            planned.append(PlannedInstalment(seq=i + 1, due_date=due, amount_minor=amount))
    return planned


def check_plan_total(plan: OrderPlan, amount_minor: int) -> None:
    """The payment plan collects exactly the order amount: not a fen more or less."""
    total = sum(i.amount_minor for i in plan.instalments)
    if total != amount_minor:
        difference = amount_minor - total
        relation = f"{difference} short of" if difference > 0 else f"{-difference} more than"
        raise ValidationError.for_field(
            "instalments",
            f"the instalments add up to {total}, {relation} the order amount {amount_minor} "
            f"(difference {difference})",
        )
