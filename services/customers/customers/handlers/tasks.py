"""Tasks: assigned to a user, due at a time, flagged once when they become overdue."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from kernel.clock import utcnow
from kernel.cursor import page_limit

from customers import contracts as c
from customers import policy
from customers.domain import inputs
from customers.domain.fields import require_mapping
from customers.handlers import children
from customers.handlers.children import ChildSpec
from customers.handlers.common import active_user, changes, list_filters, page, position
from customers.ports import CustomersUnit, TaskQuery
from customers.storage import states
from customers.storage.models import CustomerRow, TaskRow

OVERDUE_BATCH = 500


def _assignee_is_active(unit: CustomersUnit, customer: CustomerRow, values: dict[str, Any]) -> None:
    if values.get("assignee_id"):
        active_user(unit, values["assignee_id"], "assignee_id")


def _apply(row: TaskRow, values: dict[str, Any]) -> None:
    children._set_fields(row, values)
    if "status" in values:
        row.completed_at = utcnow() if values["status"] == "done" else None
    if "due_at" in values:
        row.overdue_notified_at = None  # a new due date earns a new overdue reminder


TASK: ChildSpec[TaskRow] = ChildSpec(
    kind="task",
    clean=inputs.clean_task,
    model=TaskRow,
    state=states.task_state,
    repository=attrgetter("tasks"),
    read=policy.TASK,
    links=_assignee_is_active,
    apply=_apply,
    may_change=policy.assignee_may_change,
)


def create_task(unit: CustomersUnit, data: Any) -> dict[str, Any]:
    payload = require_mapping(data)
    if payload.get("assignee_id") is None:
        payload = {**payload, "assignee_id": unit.caller.user_id}  # whoever creates it does it
    values = TASK.clean(payload)
    customer_id = values.pop("customer_id")
    return children.create(TASK, unit, customer_id, values)


def get_task(unit: CustomersUnit, task_id: Any) -> dict[str, Any]:
    return children.get(TASK, unit, task_id)


def update_task(
    unit: CustomersUnit, task_id: Any, changes: Any, expected_version: Any = None
) -> dict[str, Any]:
    return children.update(TASK, unit, task_id, changes, expected_version)


def delete_task(unit: CustomersUnit, task_id: Any, expected_version: Any = None) -> dict[str, Any]:
    return children.delete(TASK, unit, task_id, expected_version)


def list_tasks(
    unit: CustomersUnit, filters: Any = None, cursor: Any = None, limit: Any = None
) -> dict[str, Any]:
    size = page_limit(limit)
    after = position(cursor)
    filters, errors = list_filters(filters, {"customer_id", "assignee_id", "status", "overdue"})
    if filters.get("status") is not None and filters["status"] not in c.TASK_STATUSES:
        errors.add("filters.status", f"must be one of {', '.join(c.TASK_STATUSES)}")
    if filters.get("overdue") is not None and not isinstance(filters["overdue"], bool):
        errors.add("filters.overdue", "must be true or false")
    errors.raise_if_any()
    query = TaskQuery(
        caller=unit.caller,
        customer_id=filters.get("customer_id") or None,
        assignee_id=filters.get("assignee_id") or None,
        status=filters.get("status") or None,
        overdue_at=utcnow() if filters.get("overdue") is True else None,
    )
    rows = unit.tasks.page_visible(query, after, size + 1)
    customers = unit.customers.get_many([t.customer_id for t in rows[:size]])
    items = [states.task_state(t, customers[t.customer_id]) for t in rows[:size]]
    return page(items, rows, size)


def flag_overdue_tasks(unit: CustomersUnit, batch: int = OVERDUE_BATCH) -> int:
    """Mark newly overdue open tasks and emit ``task.overdue`` (safe with several instances)."""
    now = utcnow()
    tasks = unit.tasks.newly_overdue(now, batch)
    customers = unit.customers.get_many([t.customer_id for t in tasks])
    for task in tasks:
        customer = customers[task.customer_id]
        before = states.task_state(task, customer)
        task.overdue_notified_at = now
        task.version += 1
        state = states.task_state(task, customer)
        unit.record(
            "task",
            "updated",
            state,
            customer_id=customer.id,
            changes=changes(before, state),
            event_type=c.TASK_OVERDUE,
        )
    return len(tasks)
