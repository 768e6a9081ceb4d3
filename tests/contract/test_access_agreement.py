"""Issue 8 §2.5, as a property: for every kind, four answers to "may this caller read this record"
agree, on random worlds (users, roles, teams, customers with children, transfers, team moves):

(a) the read policy in process (``customers.policy.READ``);
(b) the SQL filter on the real PostgreSQL (``storage.repositories.visible``), and the lists built on it;
(c) Elasticsearch: the documents the real search builders make from the service's export, in a
    throwaway index on the real cluster, filtered by the ``acl`` filter the search service sends;
(d) the service's ``get``.

Seeded and bounded (a few hundred record × caller pairs per world), so a failure replays exactly.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from customers import policy
from customers.storage.repositories import visible
from customers_testkit import ADMIN
from elasticsearch import Elasticsearch
from kernel import identity_events
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import SYSTEM, Caller
from kernel.testing import TestServers
from search.acl import acl_filters
from search.documents import to_index_op
from search.es import make_client
from search.mapping import index_body
from search.record import Record
from search.settings import SearchSettings
from sqlalchemy.orm import Session, sessionmaker

KINDS = ("customer", "contact", "follow_up", "task")
TEAMS = ("team-a", "team-b", None)
ROLE_SETS: tuple[tuple[str, ...], ...] = (
    ("sales",),
    ("sales",),
    ("manager",),
    ("manager", "sales"),
    ("finance",),
    ("support",),
    ("sales", "support"),
    (),
)
SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def es() -> Iterator[Elasticsearch]:
    servers = TestServers()
    settings = SearchSettings(
        environment="test", rabbitmq_url=servers.rabbitmq_url, elasticsearch_url=servers.elasticsearch_url
    )
    client = make_client(settings, retries=1)
    try:
        client.cluster.health(timeout="3s")
    except Exception as exc:  # the servers are part of the suite: fail loudly, never skip
        pytest.fail(f"Elasticsearch unreachable ({exc!r})")
    yield client
    client.close()


@pytest.fixture
def index(es: Elasticsearch) -> Iterator[str]:
    name = f"panorama-test-access-{uuid.uuid4().hex[:12]}"
    es.indices.create(index=name, **index_body(refresh_interval="-1", shards=1, replicas=0))
    try:
        yield name
    finally:
        es.indices.delete(index=name)


class World:
    """A random directory and book of business, built through the service's own use cases."""

    def __init__(self, hub: Any, rng: random.Random) -> None:
        self.hub, self.rng = hub, rng
        self.users: dict[str, dict[str, Any]] = {}
        for n in range(rng.randint(5, 8)):
            self.upsert({"id": f"u{n}", "username": f"user{n}", "team_id": rng.choice(TEAMS), "roles": []})
            self.users[f"u{n}"]["roles"] = list(rng.choice(ROLE_SETS))
            self.upsert(self.users[f"u{n}"])
        self.customers: list[dict[str, Any]] = []

    def upsert(self, user: dict[str, Any]) -> None:
        """As the gateway publishes a user change: ``user.upserted`` with the next version, applied
        by the consumer's use case (which also re-scopes the user's customers on a team move)."""
        user = {"display_name": None, "active": True, **user}
        user["version"] = self.users.get(user["id"], {}).get("version", 0) + 1
        self.users[user["id"]] = dict(user)
        self.hub.user_upserted(SYSTEM, identity_events.user_upserted(user, actor_id="admin"))

    def caller(self, user_id: str) -> Caller:
        user = self.users[user_id]
        return Caller(user_id, tuple(user["roles"]), user["team_id"])

    def any_user(self) -> str:
        return self.rng.choice(sorted(self.users))

    def build(self) -> None:
        rng, hub = self.rng, self.hub
        for n in range(rng.randint(3, 6)):
            owner = self.any_user()
            customer = hub.create_customer(ADMIN, {"name": f"客户{n}号公司", "owner_id": owner}, force=True)
            cid = customer["id"]
            self.customers.append(customer)
            # the owner writes their own notes when they sell (so an author who later loses the
            # customer is in play); otherwise an admin does
            writer = self.caller(owner) if "sales" in self.users[owner]["roles"] else ADMIN
            for _ in range(rng.randint(0, 2)):
                hub.create_contact(ADMIN, cid, {"name": "张总", "phones": ["13812345678"]})
            for _ in range(rng.randint(0, 2)):
                hub.create_follow_up(writer, cid, {"channel": "call", "content": "电话沟通报价"})
            for _ in range(rng.randint(0, 3)):
                task = hub.create_task(
                    ADMIN,
                    {
                        "customer_id": cid,
                        "title": "回访",
                        "due_at": "2030-01-01T00:00:00Z",
                        "assignee_id": self.any_user(),
                    },
                )
                status = rng.choice(("open", "open", "done", "cancelled"))
                if status != "open":
                    hub.update_task(ADMIN, task["id"], {"status": status})
        for _ in range(rng.randint(1, 4)):
            self.change()

    def change(self) -> None:
        """A transfer or a team move, as the gateway and the admins make them."""
        if self.rng.random() < 0.6:
            customer = self.hub.get_customer(ADMIN, self.rng.choice(self.customers)["id"])
            target = self.any_user()
            if target != customer["owner_id"]:
                self.hub.transfer_customers(ADMIN, customer["owner_id"], target, [customer["id"]])
        else:
            user = self.users[self.any_user()]
            self.upsert({**user, "team_id": self.rng.choice(TEAMS)})

    def callers(self) -> list[Caller]:
        return [self.caller(u) for u in sorted(self.users)] + [ADMIN]


def export(hub: Any, kind: str) -> list[dict[str, Any]]:
    states: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = hub.export(SYSTEM, kind, cursor, 500)
        states += [item["data"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return states


def index_documents(es: Elasticsearch, index: str, records: dict[str, list[dict[str, Any]]]) -> None:
    operations: list[dict[str, Any]] = []
    for kind, states in records.items():
        for state in states:
            customer_id = state["id"] if kind == "customer" else state["customer_id"]
            op = to_index_op(Record(kind, state["id"], state["version"], customer_id, state))
            operations += [{"index": {"_index": index, "_id": op.doc_id}}, op.source]
    if operations:
        result = es.bulk(operations=operations, refresh=True)
        assert not result["errors"], result


def es_readable(es: Elasticsearch, index: str, caller: Caller, kind: str) -> set[str]:
    query = {
        "bool": {
            "filter": [{"term": {"kind": kind}}, *acl_filters(caller)],
            "must_not": [{"term": {"deleted": True}}],
        }
    }
    hits = es.search(index=index, query=query, size=1000, source=False)["hits"]["hits"]
    return {hit["_id"].split(":", 1)[1] for hit in hits}


def sql_readable(sessions: sessionmaker[Session], caller: Caller, kind: str) -> set[str]:
    with sessions() as session:
        return {row.id for row in session.scalars(visible(kind, caller))}


def get_readable(hub: Any, caller: Caller, kind: str, ids: list[str]) -> set[str]:
    get: Callable[..., dict[str, Any]] = getattr(hub, f"get_{kind}")
    seen = set()
    for record_id in ids:
        try:
            assert get(caller, record_id)["id"] == record_id
        except (NotFound, PermissionDenied):
            continue
        seen.add(record_id)
    return seen


def listed(list_of: Callable[..., dict[str, Any]], caller: Caller) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        page = list_of(caller, None, cursor, 50)
        ids |= {item["id"] for item in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.integration
@pytest.mark.parametrize("seed", SEEDS)
def test_policy_sql_search_and_get_agree_for_every_kind(seed, hub, sessions, es, index):
    world = World(hub, random.Random(seed))
    world.build()
    records = {kind: export(hub, kind) for kind in KINDS}
    index_documents(es, index, records)
    checked = 0
    for caller in world.callers():
        for kind in KINDS:
            states = records[kind]
            by_policy = {s["id"] for s in states if policy.READ[kind].can_read(caller, s)}
            where = f"seed {seed}, {caller}, {kind}"
            assert sql_readable(sessions, caller, kind) == by_policy, where
            assert es_readable(es, index, caller, kind) == by_policy, where
            assert get_readable(hub, caller, kind, [s["id"] for s in states]) == by_policy, where
            checked += len(states)
        customers = {s["id"] for s in records["customer"] if policy.CUSTOMER.can_read(caller, s)}
        tasks = {s["id"] for s in records["task"] if policy.TASK.can_read(caller, s)}
        assert listed(hub.list_customers, caller) == customers, f"seed {seed}, {caller}"
        assert listed(hub.list_tasks, caller) == tasks, f"seed {seed}, {caller}"
    assert checked > 0
