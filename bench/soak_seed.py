"""A realistic book of business for the soak, loaded by the fast path.

``bench.datagen`` generates the customers (城市+字号+行业 names, ~15 % English, ~5 % Traditional),
their contacts and follow-ups; they are written by ``customers.app.CustomerHub`` in process on the
soak's customers database — the same use cases, validation and outbox as the RPC, without the
HTTP and RPC hops — spread over the soak's seller accounts. The relay
and the indexer of the running stack then carry them into search like any other write, so the
soak waits until the index holds them before the users start.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from customers.app import CustomerHub
from elasticsearch import Elasticsearch
from kernel.db import make_engine, make_sessionmaker
from kernel.identity import Caller

from bench import datagen, soak_stack
from bench.settings import BenchSettings
from bench.soak_scenario import Book

CUSTOMER_FIELDS = (
    "name", "short_name", "tax_id", "industry", "size", "region", "address", "source", "status",
    "value_tier", "tags",
)  # fmt: skip
CONTACT_FIELDS = ("name", "title", "role", "phones", "emails", "wechat_id", "is_primary")
TASK_SHARE = 0.3
INDEX_TIMEOUT = 600.0
WORKERS = 4


def directory(base_url: str, admin_token: str) -> dict[str, dict[str, Any]]:
    """username -> the gateway's user record (id, roles, team_id)."""
    response = httpx.get(
        f"{base_url}/api/v1/users", headers={"Authorization": f"Bearer {admin_token}"}, params={"limit": 100}
    )
    response.raise_for_status()
    return {user["username"]: user for user in response.json()["items"]}


def create_accounts(
    base_url: str, admin_token: str, assignments: list[tuple[str, str]], teams: list[str]
) -> dict[str, dict[str, Any]]:
    """One account per simulated user (``POST /api/v1/users`` as admin, which also pushes it to the
    customers directory before answering); sellers and managers alternate over ``teams``.
    Returns username -> the created user."""
    password = soak_stack.demo_password()

    # The n-th seller and the n-th manager of a role share a team: each team has both.
    seen: dict[str, int] = {}
    steps = []
    for role, username in assignments:
        steps.append((seen.get(role, 0), (role, username)))
        seen[role] = seen.get(role, 0) + 1

    def create(step: tuple[int, tuple[str, str]]) -> dict[str, Any]:
        index, (role, username) = step
        body: dict[str, Any] = {"username": username, "password": password, "roles": [role]}
        body["display_name"] = f"压测{role}{index:03d}"
        if role in ("sales", "manager"):
            body["team_id"] = teams[index % len(teams)]
        response = httpx.post(
            f"{base_url}/api/v1/users",
            json=body,
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=60,
        )
        if response.status_code != 201:
            raise RuntimeError(f"creating {username}: HTTP {response.status_code} {response.text[:300]}")
        return dict(response.json())

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="soak-accounts") as pool:
        return {user["username"]: user for user in pool.map(create, steps)}


def _caller(user: dict[str, Any]) -> Caller:
    return Caller(user_id=user["id"], roles=tuple(user["roles"]), team_id=user["team_id"])


def _pick(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: data[name] for name in names if data.get(name) not in (None, [])}


def load_book(
    settings: BenchSettings,
    users: dict[str, dict[str, Any]],
    customers: int,
    progress: Callable[[str], None],
    workers: int = WORKERS,
) -> tuple[Book, int]:
    """Writes ``customers`` generated customers with their contacts, follow-ups and some tasks,
    spread over the seller accounts among ``users`` (``workers`` threads: each write mostly waits
    on PostgreSQL's commit); returns the book the users read and the number of records written."""
    data = datagen.generate(customers)
    contacts: dict[str, list[dict[str, Any]]] = {}
    for contact in data.contacts:
        contacts.setdefault(contact["customer_id"], []).append(contact)
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in data.follow_ups:
        notes.setdefault(note["customer_id"], []).append(note)
    # Who owns what and which customers get a task are drawn up front: the same book every run.
    rng = random.Random(datagen.DEFAULT_SEED)
    owners = sorted(name for name, user in users.items() if "sales" in user["roles"])
    plan = [
        (row, rng.choice(owners), rng.random() < TASK_SHARE, rng.randrange(-3, 14)) for row in data.customers
    ]
    engine = make_engine(settings.soak_database_url("customers"), pool_size=workers)
    hub = CustomerHub(make_sessionmaker(engine))

    def write(row: dict[str, Any], owner: str, with_task: bool, due_in_days: int) -> tuple[str, str, int]:
        caller = _caller(users[owner])
        customer_id = str(hub.create_customer(caller, _pick(row, CUSTOMER_FIELDS), force=True)["id"])
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
        written = 1 + len(ids) + len(notes.get(row["id"], ()))
        if with_task:
            due = datetime.now(UTC) + timedelta(days=due_in_days, hours=8)
            hub.create_task(
                caller, {"title": "回访确认需求和报价", "due_at": due.isoformat(), "customer_id": customer_id}
            )
            written += 1
        return owner, customer_id, written

    by_owner: dict[str, list[str]] = {owner: [] for owner in owners}
    records = 0
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="soak-seed") as pool:
            for n, (owner, customer_id, written) in enumerate(pool.map(lambda step: write(*step), plan), 1):
                by_owner[owner].append(customer_id)
                records += written
                if n % 500 == 0:
                    elapsed = time.monotonic() - started
                    progress(f"book: {n:,}/{customers:,} customers ({records:,} records, {elapsed:.0f} s)")
    finally:
        engine.dispose()
    everyone = [customer_id for ids in by_owner.values() for customer_id in ids]
    team_book: dict[str | None, list[str]] = {}
    for owner, ids in by_owner.items():
        team_book.setdefault(users[owner]["team_id"], []).extend(ids)
    visible: dict[str, list[str]] = {}  # the others (finance, support, admin) read the whole book
    for name, user in users.items():
        if "sales" in user["roles"]:
            visible[name] = by_owner[name]
        elif "manager" in user["roles"]:
            visible[name] = team_book.get(user["team_id"], [])
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
