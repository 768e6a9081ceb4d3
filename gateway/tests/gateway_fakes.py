"""Test doubles for the gateway's unit tests: an in-memory user store and a fake RPC client that
behaves like the customers and search services closely enough for the routes and pages."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gateway.auth.records import TeamRecord, UserRecord
from gateway.auth.store import DuplicateName
from gateway.rpc_errors import RpcTimeout, ServiceUnavailable
from kernel.clock import isoformat, utcnow
from kernel.cursor import decode_cursor, encode_cursor
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import Caller
from kernel.ids import new_id

TEST_PASSWORD = "correct horse battery"


class MemoryUserStore:
    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.teams: dict[str, TeamRecord] = {}
        self.healthy = True

    def ping(self) -> bool:
        if not self.healthy:
            raise RuntimeError("database down")
        return True

    def get_user(self, user_id: str) -> UserRecord | None:
        return self.users.get(user_id)

    def get_user_by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def list_users(self) -> list[UserRecord]:
        return sorted(self.users.values(), key=lambda u: u.username)

    def insert_user(self, user: UserRecord, actor_id: str | None = None) -> UserRecord:
        if self.get_user_by_username(user.username):
            raise DuplicateName(user.username)
        self.users[user.id] = user
        return user

    def update_user(
        self, user_id: str, changes: dict[str, Any], actor_id: str | None = None
    ) -> UserRecord | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        fields: dict[str, Any] = {k: tuple(v) if k == "roles" else v for k, v in changes.items()}
        updated = replace(user, **fields, version=user.version + 1, updated_at=utcnow())
        self.users[user_id] = updated
        return updated

    def get_team(self, team_id: str) -> TeamRecord | None:
        return self.teams.get(team_id)

    def get_team_by_name(self, name: str) -> TeamRecord | None:
        return next((t for t in self.teams.values() if t.name == name), None)

    def list_teams(self) -> list[TeamRecord]:
        return sorted(self.teams.values(), key=lambda t: t.name)

    def insert_team(self, team: TeamRecord) -> TeamRecord:
        if self.get_team_by_name(team.name):
            raise DuplicateName(team.name)
        self.teams[team.id] = team
        return team


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


class FakeSearchService:
    def __init__(self, customers: FakeCustomersService) -> None:
        self.customers = customers
        self.extra_hits: list[dict[str, Any]] = []

    def _documents(self) -> list[dict[str, Any]]:
        docs = []
        for c in self.customers.customers.values():
            docs.append(
                {
                    "kind": "customer",
                    "id": c["id"],
                    "customer_id": c["id"],
                    "customer_name": c["name"],
                    "title": c["name"],
                    "text": " ".join(filter(None, [c["name"], c.get("industry")])),
                    "status": c["status"],
                    "updated_at": c["updated_at"],
                    "owner_id": c["owner_id"],
                }
            )
        for r in self.customers.children["contact"].values():
            docs.append(
                {
                    "kind": "contact",
                    "id": r["id"],
                    "customer_id": r["customer_id"],
                    "customer_name": r["customer_name"],
                    "title": r["name"],
                    "text": " ".join([r["name"], *r["phones"], *r["emails"]]),
                    "status": None,
                    "updated_at": r["updated_at"],
                    "owner_id": r["owner_id"],
                }
            )
        for r in self.customers.children["follow_up"].values():
            docs.append(
                {
                    "kind": "follow_up",
                    "id": r["id"],
                    "customer_id": r["customer_id"],
                    "customer_name": r["customer_name"],
                    "title": r["content"][:40],
                    "text": r["content"],
                    "status": None,
                    "updated_at": r["updated_at"],
                    "owner_id": r["owner_id"],
                }
            )
        return docs

    def search(
        self, caller: Caller, q: str, kinds: Any = None, limit: int = 20, cursor: Any = None, **_: Any
    ) -> dict:
        decode_cursor(cursor)  # the real service refuses a cursor it did not sign the same way
        hits = []
        for doc in self._documents() + self.extra_hits:
            if q not in doc.get("text", doc.get("title", "")):
                continue
            if kinds and doc["kind"] not in kinds:
                continue
            customer = self.customers.customers.get(doc.get("customer_id") or "")
            if customer is not None and not self.customers._visible(caller, customer):
                continue
            text = doc.get("text", doc["title"])
            snippet = doc.get("snippet") or html.escape(text).replace(
                html.escape(q), f"<em>{html.escape(q)}</em>"
            )
            shown = ("kind", "id", "customer_id", "customer_name", "title", "status", "updated_at")
            marks = ("title_html", "customer_name_html", "snippet_field")
            hits.append({k: doc.get(k) for k in shown + marks} | {"snippet": snippet, "score": 1.0})
        facets: dict[str, int] = {}
        for hit in hits:
            facets[hit["kind"]] = facets.get(hit["kind"], 0) + 1
        return {"items": hits[:limit], "facets": {"kind": facets}, "total": len(hits), "next_cursor": None}

    def suggest(self, caller: Caller, q: str, limit: int = 8) -> list[dict[str, Any]]:
        found = self.search(caller, q, limit=limit)["items"]
        return [{k: h[k] for k in ("kind", "id", "customer_id", "title", "customer_name")} for h in found]

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        kwargs = dict(kwargs)
        if method == "ping":
            return "pong"
        caller = Caller.from_payload(kwargs.pop("caller", None))
        handler: Callable[..., Any] = getattr(self, method)
        return handler(caller, **kwargs)


class FakeRpc:
    """Implements gateway.rpc.RpcClient in memory. ``down`` services answer 503, ``slow`` ones 504."""

    def __init__(self) -> None:
        self.customers = FakeCustomersService()
        self.search = FakeSearchService(self.customers)
        self.services: dict[str, Any] = {"customers": self.customers, "search": self.search}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down: set[str] = set()
        self.slow: set[str] = set()
        self.failures: dict[tuple[str, str], Exception] = {}
        self.connected = True

    async def call(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        kwargs = kwargs or {}
        self.calls.append((service, method, kwargs))
        await asyncio.sleep(0)
        if service in self.down or service not in self.services:
            raise ServiceUnavailable(service, method)
        if service in self.slow:
            raise RpcTimeout(service, method, timeout or 10.0)
        failure = self.failures.get((service, method))
        if failure is not None:
            raise failure
        # Round-trip through JSON like the wire does, so nothing non-serialisable slips through.
        import json

        result = self.services[service].dispatch(method, json.loads(json.dumps(kwargs)))
        return json.loads(json.dumps(result))

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        return service in self.services and service not in self.down and service not in self.slow

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for _, m, kwargs in self.calls if m == method]


# --- the web UI as a browser uses it (forms with CSRF tokens) ---


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def browser_login(client, username: str, password: str = TEST_PASSWORD, next_path: str = "/"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


class CountingVerifier:
    """Stands in for the password check: counts verifications and holds each one open a moment, so
    parallel attempts overlap the way concurrent requests do in production (not a timing assertion)."""

    def __init__(self, real: Callable[[str | None, str], bool]) -> None:
        self.real = real
        self.count = 0
        self._lock = threading.Lock()

    @classmethod
    def install(cls, monkeypatch: Any) -> CountingVerifier:
        from gateway.auth import directory

        counting = cls(directory.verify_password)
        monkeypatch.setattr(directory, "verify_password", counting)
        return counting

    def __call__(self, stored_hash: str | None, password: str) -> bool:
        with self._lock:
            self.count += 1
        time.sleep(0.05)
        return self.real(stored_hash, password)
