"""In-memory stand-in for the customers service, for the gateway's unit tests: versions, conflicts,
visibility (sales see their own) and the service's defaults, closely enough for routes and pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.ids import new_id


def _now() -> str:
    return isoformat(utcnow()) or ""


CHILD_ID_PARAMS = {"contact": "contact_id", "follow_up": "follow_up_id", "task": "task_id"}


class FakeCustomersService:
    """Just enough of ``customers``: versions, conflicts, visibility (sales see their own)."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.children: dict[str, dict[str, dict[str, Any]]] = {"contact": {}, "follow_up": {}, "task": {}}
        self.audit: list[dict[str, Any]] = []
        self.directory: dict[str, dict[str, Any]] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _visible(self, caller: Caller, customer: dict[str, Any]) -> bool:
        if caller.is_admin or "finance" in caller.roles or "support" in caller.roles:
            return True
        if "manager" in caller.roles and caller.team_id and customer.get("team_id") == caller.team_id:
            return True
        return bool(customer["owner_id"] == caller.user_id)

    def _customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        customer = self.customers.get(customer_id)
        if customer is None or not self._visible(caller, customer):
            raise NotFound(f"customer {customer_id} not found")
        return customer

    def _check_version(self, record: dict[str, Any], expected: Any) -> None:
        if expected is not None and expected != record["version"]:
            raise Conflict(
                f"version {expected} is stale; the current version is {record['version']}",
                [{"field": "version", "message": f"current version is {record['version']}"}],
            )

    def _audit(
        self, caller: Caller, customer_id: str, kind: str, entity_id: str, action: str, changes: dict
    ) -> None:
        self.audit.insert(
            0,
            {
                "id": new_id(),
                "at": _now(),
                "actor_id": caller.user_id,
                "customer_id": customer_id,
                "entity_type": kind,
                "entity_id": entity_id,
                "action": action,
                "changes": changes,
            },
        )

    def _page(self, items: list[dict[str, Any]], cursor: Any, limit: Any) -> dict[str, Any]:
        # Signed cursors like the real services': a forged one is the service's ValidationError.
        position = decode_cursor(cursor)
        start = position["offset"] if position is not None else 0
        size = limit if isinstance(limit, int) and limit > 0 else 50
        chunk = items[start : start + size]
        more = start + size < len(items)
        return {"items": chunk, "next_cursor": encode_cursor({"offset": start + size}) if more else None}

    def _user_team(self, user_id: str) -> str | None:
        entry = self.directory.get(user_id)
        return entry.get("team_id") if entry else None

    # -- RPC methods -----------------------------------------------------------------------------
    def ping(self) -> str:
        return "pong"

    def upsert_user(self, caller: Caller, user: dict[str, Any]) -> dict[str, Any]:
        if not caller.is_admin:
            raise PermissionDenied("only system")
        self.directory[user["id"]] = dict(user)
        return dict(user)

    def create_customer(self, caller: Caller, data: dict[str, Any], force: bool = False) -> dict[str, Any]:
        if not caller.roles or not {"admin", "manager", "sales", "system"} & set(caller.roles):
            raise PermissionDenied("cannot create customers")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValidationError.for_field("name", "must not be empty")
        if not force and any(c["name"] == name for c in self.customers.values()):
            raise Conflict(
                f"a customer named {name!r} exists", [{"field": "name", "message": "likely duplicate"}]
            )
        owner_id = data.get("owner_id") or caller.user_id
        now = _now()
        record: dict[str, Any] = {
            "id": new_id(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "name": name,
            "short_name": data.get("short_name"),
            "tax_id": data.get("tax_id"),
            "industry": data.get("industry"),
            "size": data.get("size"),
            "region": data.get("region"),
            "address": data.get("address"),
            "source": data.get("source"),
            "status": data.get("status") or "prospect",
            "value_tier": data.get("value_tier") or "normal",
            "tags": list(data.get("tags") or []),
            "owner_id": owner_id,
            "team_id": self._user_team(owner_id) or caller.team_id,
            "created_by": caller.user_id,
        }
        self.customers[record["id"]] = record
        self._audit(caller, record["id"], "customer", record["id"], "created", {"name": [None, name]})
        return dict(record)

    def get_customer(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        return dict(self._customer(caller, customer_id))

    def update_customer(
        self,
        caller: Caller,
        customer_id: str,
        changes: dict[str, Any],
        expected_version: Any = None,
        force: bool = False,
    ) -> dict[str, Any]:
        customer = self._customer(caller, customer_id)
        self._check_version(customer, expected_version)
        if not changes:
            raise ValidationError.for_field("changes", "no changes given")
        if "name" in changes and not changes["name"]:
            raise ValidationError.for_field("name", "must not be empty")
        diff = {k: [customer.get(k), v] for k, v in changes.items()}
        customer.update(changes)
        customer["version"] += 1
        customer["updated_at"] = _now()
        self._audit(caller, customer_id, "customer", customer_id, "updated", diff)
        return dict(customer)

    def delete_customer(
        self, caller: Caller, customer_id: str, expected_version: Any = None
    ) -> dict[str, Any]:
        customer = self._customer(caller, customer_id)
        self._check_version(customer, expected_version)
        del self.customers[customer_id]
        return {
            "id": customer_id,
            "deleted": True,
            "customer_id": customer_id,
            "version": customer["version"] + 1,
        }

    def list_customers(
        self, caller: Caller, filters: Any = None, cursor: Any = None, limit: Any = None
    ) -> dict:
        filters = filters or {}
        items = [c for c in self.customers.values() if self._visible(caller, c)]
        if filters.get("owner_id"):
            items = [c for c in items if c["owner_id"] == filters["owner_id"]]
        if filters.get("status"):
            items = [c for c in items if c["status"] == filters["status"]]
        if filters.get("tag"):
            items = [c for c in items if filters["tag"] in c["tags"]]
        if filters.get("q"):
            items = [c for c in items if filters["q"] in c["name"]]
        items.sort(key=lambda c: c["id"], reverse=True)
        return self._page([dict(c) for c in items], cursor, limit)

    def _create_child(
        self, kind: str, caller: Caller, customer_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        customer = self._customer(caller, customer_id)
        if caller.user_id != customer["owner_id"] and not caller.is_admin and "manager" not in caller.roles:
            raise PermissionDenied("not your customer")
        now = _now()
        record: dict[str, Any] = {
            "id": new_id(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "customer_id": customer_id,
            "customer_name": customer["name"],
            "owner_id": customer["owner_id"],
            "team_id": customer["team_id"],
        }
        if kind == "contact":
            if not data.get("name"):
                raise ValidationError.for_field("name", "must not be empty")
            record.update(
                name=data["name"],
                title=data.get("title"),
                role=data.get("role"),
                phones=list(data.get("phones") or []),
                emails=list(data.get("emails") or []),
                wechat_id=data.get("wechat_id"),
                is_primary=bool(data.get("is_primary", False)),
            )
        elif kind == "follow_up":
            if not data.get("content"):
                raise ValidationError.for_field("content", "must not be empty")
            record.update(
                contact_id=data.get("contact_id"),
                channel=data["channel"],
                occurred_at=data.get("occurred_at") or now,
                author_id=caller.user_id,
                content=data["content"],
                next_follow_up_on=data.get("next_follow_up_on"),
            )
        else:
            record.update(
                title=data["title"],
                due_at=data["due_at"],
                assignee_id=data.get("assignee_id") or caller.user_id,
                status=data.get("status") or "open",
                completed_at=None,
                overdue_notified_at=None,
            )
        self.children[kind][record["id"]] = record
        self._audit(caller, customer_id, kind, record["id"], "created", {})
        return dict(record)

    def _child(self, kind: str, caller: Caller, record_id: str) -> dict[str, Any]:
        record = self.children[kind].get(record_id)
        if record is None or record["customer_id"] not in self.customers:
            raise NotFound(f"{kind} {record_id} not found")
        self._customer(caller, record["customer_id"])
        return record

    def _update_child(
        self, kind: str, caller: Caller, record_id: str, changes: dict, expected_version: Any
    ) -> dict:
        record = self._child(kind, caller, record_id)
        self._check_version(record, expected_version)
        record.update(changes)
        record["version"] += 1
        record["updated_at"] = _now()
        return dict(record)

    def _delete_child(self, kind: str, caller: Caller, record_id: str, expected_version: Any) -> dict:
        record = self._child(kind, caller, record_id)
        self._check_version(record, expected_version)
        del self.children[kind][record_id]
        return {
            "id": record_id,
            "deleted": True,
            "customer_id": record["customer_id"],
            "version": record["version"],
        }

    def _list_children(self, kind: str, caller: Caller, customer_id: str, cursor: Any, limit: Any) -> dict:
        self._customer(caller, customer_id)
        items = [dict(r) for r in self.children[kind].values() if r["customer_id"] == customer_id]
        key = "occurred_at" if kind == "follow_up" else "id"
        items.sort(key=lambda r: r[key], reverse=True)
        return self._page(items, cursor, limit)

    def list_tasks(self, caller: Caller, filters: Any = None, cursor: Any = None, limit: Any = None) -> dict:
        filters = filters or {}
        items = [
            dict(t)
            for t in self.children["task"].values()
            if t["customer_id"] in self.customers and self._visible(caller, self.customers[t["customer_id"]])
        ]
        for key in ("customer_id", "assignee_id", "status"):
            if filters.get(key):
                items = [t for t in items if t[key] == filters[key]]
        if filters.get("overdue"):
            now = datetime.now(UTC)
            items = [t for t in items if t["status"] == "open" and datetime.fromisoformat(t["due_at"]) < now]
        items.sort(key=lambda t: t["id"], reverse=True)
        return self._page(items, cursor, limit)

    def transfer_customers(
        self, caller: Caller, from_user_id: str, to_user_id: str, customer_ids: Any = None, reason: Any = None
    ) -> dict[str, Any]:
        if not caller.is_admin and "manager" not in caller.roles:
            raise PermissionDenied("only managers transfer customers")
        if to_user_id not in self.directory:
            raise ValidationError.for_field("to_user_id", "unknown user")
        moved = []
        for customer in self.customers.values():
            if customer["owner_id"] == from_user_id and (
                customer_ids is None or customer["id"] in customer_ids
            ):
                customer["owner_id"] = to_user_id
                customer["version"] += 1
                moved.append(customer["id"])
                self._audit(
                    caller,
                    customer["id"],
                    "customer",
                    customer["id"],
                    "transferred",
                    {"owner_id": [from_user_id, to_user_id]},
                )
        return {
            "moved": len(moved),
            "customer_ids": moved,
            "from_user_id": from_user_id,
            "to_user_id": to_user_id,
        }

    def get_audit(self, caller: Caller, customer_id: str, cursor: Any = None, limit: Any = None) -> dict:
        self._customer(caller, customer_id)
        return self._page([a for a in self.audit if a["customer_id"] == customer_id], cursor, limit)

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        kwargs = dict(kwargs)
        if method == "ping":
            return self.ping()
        caller = Caller.from_payload(kwargs.pop("caller", None))
        for kind, id_param in CHILD_ID_PARAMS.items():
            if method == f"get_{kind}":
                return dict(self._child(kind, caller, kwargs[id_param]))
            if method == f"update_{kind}":
                return self._update_child(
                    kind, caller, kwargs[id_param], kwargs["changes"], kwargs.get("expected_version")
                )
            if method == f"delete_{kind}":
                return self._delete_child(kind, caller, kwargs[id_param], kwargs.get("expected_version"))
        if method == "create_contact":
            return self._create_child("contact", caller, kwargs["customer_id"], kwargs["data"])
        if method == "create_follow_up":
            return self._create_child("follow_up", caller, kwargs["customer_id"], kwargs["data"])
        if method == "create_task":
            data = dict(kwargs["data"])
            return self._create_child("task", caller, data.pop("customer_id"), data)
        if method == "list_contacts":
            return self._list_children(
                "contact", caller, kwargs["customer_id"], kwargs.get("cursor"), kwargs.get("limit")
            )
        if method == "list_follow_ups":
            return self._list_children(
                "follow_up", caller, kwargs["customer_id"], kwargs.get("cursor"), kwargs.get("limit")
            )
        handler: Callable[..., Any] = getattr(self, method)
        return handler(caller, **kwargs)
