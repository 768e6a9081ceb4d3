"""Rows → the contract's full-state dicts carried by events, RPC replies and exports."""

from __future__ import annotations

from typing import Any

from kernel.clock import isoformat

from customers.storage.models import ContactRow, CustomerRow, DirectoryUserRow, FollowUpRow, TaskRow


def customer_state(row: CustomerRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "name": row.name,
        "short_name": row.short_name,
        "tax_id": row.tax_id,
        "industry": row.industry,
        "size": row.size,
        "region": row.region,
        "address": row.address,
        "source": row.source,
        "status": row.status,
        "value_tier": row.value_tier,
        "tags": list(row.tags or []),
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "created_by": row.created_by,
    }


def _context(row: ContactRow | FollowUpRow | TaskRow, customer: CustomerRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "customer_id": customer.id,
        "customer_name": customer.name,
        "owner_id": customer.owner_id,
        "team_id": customer.team_id,
    }


def contact_state(row: ContactRow, customer: CustomerRow) -> dict[str, Any]:
    return {
        **_context(row, customer),
        "name": row.name,
        "title": row.title,
        "role": row.role,
        "phones": list(row.phones or []),
        "emails": list(row.emails or []),
        "wechat_id": row.wechat_id,
        "is_primary": row.is_primary,
    }


def follow_up_state(row: FollowUpRow, customer: CustomerRow) -> dict[str, Any]:
    return {
        **_context(row, customer),
        "contact_id": row.contact_id,
        "channel": row.channel,
        "occurred_at": isoformat(row.occurred_at),
        "author_id": row.author_id,
        "content": row.content,
        "next_follow_up_on": row.next_follow_up_on.isoformat() if row.next_follow_up_on else None,
    }


def task_state(row: TaskRow, customer: CustomerRow) -> dict[str, Any]:
    return {
        **_context(row, customer),
        "title": row.title,
        "due_at": isoformat(row.due_at),
        "assignee_id": row.assignee_id,
        "status": row.status,
        "completed_at": isoformat(row.completed_at),
        "overdue_notified_at": isoformat(row.overdue_notified_at),
    }


def user_state(row: DirectoryUserRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "team_id": row.team_id,
        "roles": list(row.roles or []),
        "active": row.active,
    }


def tombstone(entity_id: str, customer_id: str | None, version: int) -> dict[str, Any]:
    return {"id": entity_id, "deleted": True, "customer_id": customer_id, "version": version}
