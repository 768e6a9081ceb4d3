"""A realistic book of business for the soak, loaded by the fast path.

``bench.datagen`` generates the customers (城市+字号+行业 names, ~15 % English, ~5 % Traditional),
their contacts and follow-ups; they are written by ``customers.app.CustomerHub`` in process on the
soak's customers database — the same use cases, validation and outbox as the RPC, without the
HTTP and RPC hops — as the demo sellers (sales1, sales2 and the east team's manager). The relay
and the indexer of the running stack then carry them into search like any other write, so the
soak waits until the index holds them before the users start.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from customers.app import CustomerHub
from elasticsearch import Elasticsearch
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller

from bench import datagen
from bench.settings import BenchSettings
from bench.soak_scenario import Book

# owner username -> share of the generated book
OWNERS = {"sales1": 0.4, "sales2": 0.4, "manager": 0.2}
CUSTOMER_FIELDS = (
    "name", "short_name", "tax_id", "industry", "size", "region", "address", "source", "status",
    "value_tier", "tags",
)  # fmt: skip
CONTACT_FIELDS = ("name", "title", "role", "phones", "emails", "wechat_id", "is_primary")
TASK_SHARE = 0.3
INDEX_TIMEOUT = 600.0


def directory(base_url: str, admin_token: str) -> dict[str, dict[str, Any]]:
    """username -> the gateway's user record (id, roles, team_id)."""
    response = httpx.get(
        f"{base_url}/api/v1/users", headers={"Authorization": f"Bearer {admin_token}"}, params={"limit": 100}
    )
    response.raise_for_status()
    return {user["username"]: user for user in response.json()["items"]}


def _caller(user: dict[str, Any]) -> Caller:
    return Caller(user_id=user["id"], roles=tuple(user["roles"]), team_id=user["team_id"])


def _pick(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data[name] for name in names if data.get(name) not in (None, [])}


def load_book(
    settings: BenchSettings, users: dict[str, dict[str, Any]], customers: int, progress: Callable[[str], None]
) -> tuple[Book, int]:
    """Writes ``customers`` generated customers with their contacts, follow-ups and some tasks;
    returns the book the users read and the number of records written."""
    data = datagen.generate(customers)
    contacts: dict[str, list[dict[str, Any]]] = {}
    for contact in data.contacts:
        contacts.setdefault(contact["customer_id"], []).append(contact)
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in data.follow_ups:
        notes.setdefault(note["customer_id"], []).append(note)
    engine = make_engine(settings.soak_database_url("customers"), pool_size=2)
    hub = CustomerHub(make_sessionmaker(engine))
    rng = random.Random(datagen.DEFAULT_SEED)
    owners, shares = list(OWNERS), list(OWNERS.values())
    by_owner: dict[str, list[str]] = {owner: [] for owner in owners}
    records = 0
    started = time.monotonic()
    try:
        for n, row in enumerate(data.customers):
            owner = owners[0] if n == 0 else rng.choices(owners, shares)[0]
            caller = _caller(users[owner])
            created = hub.create_customer(caller, _pick(row, CUSTOMER_FIELDS), force=True)
            customer_id = str(created["id"])
            by_owner[owner].append(customer_id)
            ids: dict[str, str] = {}
            for contact in contacts.get(row["id"], ()):
                ids[contact["id"]] = str(
                    hub.create_contact(caller, customer_id, _pick(contact, CONTACT_FIELDS))["id"]
                )
            for note in notes.get(row["id"], ()):
                body = {
                    "channel": note["channel"],
                    "occurred_at": note["occurred_at"],
                    "content": note["content"],
                    "contact_id": ids.get(note["contact_id"]),
                    "next_follow_up_on": note["next_follow_up_on"],
                }
                hub.create_follow_up(caller, customer_id, {k: v for k, v in body.items() if v is not None})
            records += 1 + len(ids) + len(notes.get(row["id"], ()))
            if rng.random() < TASK_SHARE:
                due = datetime.now(UTC) + timedelta(days=rng.randrange(-3, 14), hours=rng.randrange(0, 8))
                task = {"title": "回访确认需求和报价", "due_at": due.isoformat(), "customer_id": customer_id}
                hub.create_task(caller, task)
                records += 1
            if (n + 1) % 500 == 0:
                elapsed = time.monotonic() - started
                progress(f"book: {n + 1:,}/{customers:,} customers ({records:,} records, {elapsed:.0f} s)")
    finally:
        engine.dispose()
    everyone = [customer_id for ids in by_owner.values() for customer_id in ids]
    visible = {
        "sales1": by_owner["sales1"],
        "sales2": by_owner["sales2"],
        "manager": by_owner["sales1"] + by_owner["manager"],  # the east team
        "admin": everyone,
    }
    return Book(visible=visible, everyone=everyone), records


def wait_indexed(es: Elasticsearch, alias: str, records: int, progress: Callable[[str], None]) -> int:
    """Until the index holds at least ``records`` documents (the book; the demo data adds more)."""
    deadline = time.monotonic() + INDEX_TIMEOUT
    count = 0
    while time.monotonic() < deadline:
        es.indices.refresh(index=alias)
        count = int(es.count(index=alias)["count"])
        if count >= records:
            return count
        time.sleep(2.0)
    progress(f"index holds {count:,} documents after {INDEX_TIMEOUT:.0f} s; {records:,} expected")
    return count
