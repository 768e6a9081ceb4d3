"""The gateway in front of the real customers service: real PostgreSQL, real RabbitMQ, real nameko.

The customers service runs as a subprocess on the test vhost under its own nameko name, with its
tables in a schema of the gateway's test database, so neither the customers team's test database
nor a customers service their suite runs on the same vhost is ever touched.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from gateway.auth.directory import Directory
from gateway.auth.replication import UserReplicator
from gateway.auth.sql_store import SqlUserStore
from gateway.main import create_app
from gateway.relay import build_relay
from gateway.rpc import PikaRpcClient
from gateway.seed import seed_demo
from gateway.services.customers.client import CustomersClient
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD
from kernel.testing import TestServers, eventually
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
SCHEMA = "gwstack_customers"
# Its own nameko name, so this suite's copy never shares the ``rpc-customers`` queue with a copy
# another suite runs on the same test vhost.
SERVICE = f"customers_gw{uuid.uuid4().hex[:6]}"


def _customers_url(servers: TestServers) -> str:
    return f"{servers.gateway_database_url}?options=-csearch_path%3D{SCHEMA}"


@pytest.fixture(scope="module")
def customers_service(servers: TestServers) -> Iterator[str]:
    engine = create_engine(servers.gateway_database_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    paths = [str(REPO / p) for p in ("services/kernel", "services/customers")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
        "PANORAMA_CUSTOMERS_DATABASE_URL": _customers_url(servers),
        "PANORAMA_LOG_JSON": "false",
    }
    run = [sys.executable, "-m", "kernel.run", "customers"]
    subprocess.run([*run, "migrate"], env=env, check=True, timeout=120)
    proc = subprocess.Popen(
        [*run, "service", "--name", SERVICE],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    rpc = PikaRpcClient(servers.rabbitmq_url, timeout=2)
    rpc.start()
    try:
        rpc.wait_connected(10)
        eventually(lambda: asyncio.run(rpc.ping(SERVICE)), timeout=60, interval=0.3)
    except AssertionError:
        proc.terminate()
        pytest.fail(
            f"customers service did not start: {proc.stderr.read().decode()[-3000:] if proc.stderr else ''}"
        )
    finally:
        rpc.stop()
    yield SERVICE
    proc.terminate()
    proc.wait(timeout=30)
    # nameko's queues are durable: remove this run's, named after its one-off service name
    # (and the one ``migrate`` declared for the service under its registry name)
    queues = [f"rpc-{SERVICE}"]
    for name in (SERVICE, "customers"):
        identity_queue = f"evt-identity-user.upserted--{name}.on_identity_user_upserted"
        queues += [identity_queue, f"{identity_queue}.dlq"]
    _delete_queues(servers.rabbitmq_url, queues)


def _delete_queues(amqp_url: str, queues: list[str]) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        for queue in queues:
            channel.queue_delete(queue=queue)
    finally:
        connection.close()


@pytest.fixture
def stack(servers, customers_service, gateway_sessions) -> Iterator[tuple[TestClient, Any]]:
    directory = Directory(SqlUserStore(gateway_sessions))
    east = directory.create_team("华东销售一组")
    south = directory.create_team("华南销售二组")
    directory.create_user(username="admin", password=TEST_PASSWORD, roles=["admin"])
    directory.create_user(username="manager", password=TEST_PASSWORD, roles=["manager"], team_id=east.id)
    directory.create_user(username="sales1", password=TEST_PASSWORD, roles=["sales"], team_id=east.id)
    directory.create_user(username="sales2", password=TEST_PASSWORD, roles=["sales"], team_id=south.id)
    settings = GatewaySettings(
        environment="test",
        gateway_database_url=servers.gateway_database_url,
        rabbitmq_url=servers.rabbitmq_url,
        ready_services=[SERVICE],
        customers_service=SERVICE,
        replica_services=[SERVICE],
    )
    app = create_app(settings)
    with TestClient(app) as client:
        # the start-up sync pushes every user to the customers directory replica
        eventually(lambda: app.state.replicator.synced_once.is_set(), timeout=20)
        yield client, app


def login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_customer_lifecycle_through_the_gateway(stack):
    client, _ = stack
    sales1, sales2, manager = login(client, "sales1"), login(client, "sales2"), login(client, "manager")

    created = client.post(
        "/api/v1/customers",
        json={"name": "A科技有限公司", "industry": "软件", "tags": ["SaaS"], "status": "active"},
        headers=sales1,
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    cid = customer["id"]
    assert created.headers["etag"] == '"1"'

    # optimistic concurrency end to end
    updated = client.patch(
        f"/api/v1/customers/{cid}", json={"region": "上海"}, headers={**sales1, "If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"2"'
    stale = client.patch(
        f"/api/v1/customers/{cid}", json={"region": "北京"}, headers={**sales1, "If-Match": '"1"'}
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "application/problem+json"

    # the service's own validation comes back field by field
    bad = client.patch(f"/api/v1/customers/{cid}", json={"tax_id": "91310000MA1FL0000X"}, headers=sales1)
    assert bad.status_code == 422, bad.text
    assert bad.json()["errors"][0]["field"] == "tax_id"

    contact = client.post(
        f"/api/v1/customers/{cid}/contacts",
        json={"name": "张伟", "title": "总经理", "role": "decision_maker", "phones": ["13800138000"]},
        headers=sales1,
    )
    assert contact.status_code == 201, contact.text
    follow_up = client.post(
        f"/api/v1/customers/{cid}/follow-ups",
        json={"channel": "visit", "content": "首次拜访", "contact_id": contact.json()["id"]},
        headers=sales1,
    )
    assert follow_up.status_code == 201, follow_up.text
    task = client.post(
        "/api/v1/tasks",
        json={"customer_id": cid, "title": "发送报价", "due_at": "2030-01-01T10:00:00+08:00"},
        headers=sales1,
    )
    assert task.status_code == 201, task.text
    assert (
        client.get(f"/api/v1/customers/{cid}/follow-ups", headers=sales1).json()["items"][0]["content"]
        == "首次拜访"
    )
    assert client.get("/api/v1/tasks?assignee=me", headers=sales1).json()["items"][0]["title"] == "发送报价"

    # visibility and ownership
    assert client.get(f"/api/v1/customers/{cid}", headers=sales2).status_code == 404
    me2 = client.get("/api/v1/me", headers=sales2).json()
    me1 = client.get("/api/v1/me", headers=sales1).json()
    denied = client.post(
        "/api/v1/customers/transfer",
        json={"from_user_id": me1["id"], "to_user_id": me2["id"], "customer_ids": [cid]},
        headers=sales1,
    )
    assert denied.status_code == 403
    moved = client.post(
        "/api/v1/customers/transfer",
        json={
            "from_user_id": me1["id"],
            "to_user_id": me2["id"],
            "customer_ids": [cid],
            "reason": "区域调整",
        },
        headers=login(client, "admin"),
    )
    assert moved.status_code == 200, moved.text
    assert client.get(f"/api/v1/customers/{cid}", headers=sales2).json()["owner_id"] == me2["id"]

    audit = client.get(f"/api/v1/customers/{cid}/audit", headers=login(client, "admin"))
    assert audit.status_code == 200, audit.text
    actions = [entry["action"] for entry in audit.json()["items"]]
    assert "transferred" in actions and "created" in actions
    assert manager  # the manager of the east team logged in fine


def test_new_users_are_replicated_and_can_own_customers(stack):
    client, _ = stack
    admin = login(client, "admin")
    teams = client.get("/api/v1/teams", headers=admin).json()["items"]
    new = client.post(
        "/api/v1/users",
        json={
            "username": "sales3",
            "password": "sales3 password",
            "roles": ["sales"],
            "team_id": teams[0]["id"],
        },
        headers=admin,
    )
    assert new.status_code == 201, new.text
    sales3 = login(client, "sales3", "sales3 password")
    created = client.post("/api/v1/customers", json={"name": "新用户的客户"}, headers=sales3)
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == new.json()["id"]


def test_moving_a_user_to_another_team_moves_their_customers(stack):
    """Issue 8 §2.4 end to end: gateway change → outbox → gateway.relay → identity.events →
    customers re-scopes the user's customers; the old manager loses them, the new one gains them."""
    client, app = stack
    admin, sales1, manager = login(client, "admin"), login(client, "sales1"), login(client, "manager")
    teams = {t["name"]: t["id"] for t in client.get("/api/v1/teams", headers=admin).json()["items"]}
    users = {u["username"]: u["id"] for u in client.get("/api/v1/users", headers=admin).json()["items"]}
    south = teams["华南销售二组"]
    created = client.post(
        "/api/v1/users",
        json={"username": "manager.south", "password": TEST_PASSWORD, "roles": ["manager"], "team_id": south},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    manager_south = login(client, "manager.south")
    customer = client.post("/api/v1/customers", json={"name": "东方重工有限公司"}, headers=sales1).json()
    assert client.get(f"/api/v1/customers/{customer['id']}", headers=manager).status_code == 200

    moved = client.patch(f"/api/v1/users/{users['sales1']}", json={"team_id": south}, headers=admin)
    assert moved.status_code == 200, moved.text
    relay = build_relay(app.state.settings)
    try:
        assert relay.drain() >= 1  # every user change of this test, in commit order
    finally:
        relay.close()

    def seen_by_new_manager() -> dict[str, Any] | None:
        response = client.get(f"/api/v1/customers/{customer['id']}", headers=manager_south)
        return response.json() if response.status_code == 200 else None

    assert eventually(seen_by_new_manager, timeout=20)["team_id"] == south
    assert client.get(f"/api/v1/customers/{customer['id']}", headers=manager).status_code in {403, 404}


def test_readiness_with_the_real_service(stack):
    client, _ = stack
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text


def test_seed_demo_is_idempotent_against_the_real_service(stack, servers):
    _, app = stack
    directory: Directory = app.state.directory

    async def seed() -> Any:
        rpc = PikaRpcClient(servers.rabbitmq_url, timeout=10)
        rpc.start()
        await asyncio.to_thread(rpc.wait_connected, 10)
        try:
            return await seed_demo(
                directory,
                UserReplicator(rpc, directory, services=(SERVICE,)),
                CustomersClient(rpc, SERVICE),
                "demo password 1",
            )
        finally:
            await asyncio.to_thread(rpc.stop)

    first = asyncio.run(seed())
    assert first.customers_created >= 7
    second = asyncio.run(seed())
    assert second.customers_created == 0 and second.users_created == 0
    client = TestClient(app)
    token = client.post("/api/v1/auth/token", data={"username": "sales1", "password": TEST_PASSWORD})
    assert token.status_code == 200  # the pre-existing sales1 kept its password


def test_web_pages_with_real_data(stack):
    client, _ = stack
    headers = login(client, "sales1")
    cid = client.post("/api/v1/customers", json={"name": "网页测试公司"}, headers=headers).json()["id"]
    client.post(
        f"/api/v1/customers/{cid}/contacts", json={"name": "王五", "role": "champion"}, headers=headers
    )
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    logged_in = client.post(
        "/login",
        data={"username": "sales1", "password": TEST_PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert logged_in.status_code == 303
    detail = client.get(f"/customers/{cid}")
    assert detail.status_code == 200, detail.text[:500]
    assert "网页测试公司" in detail.text and "王五" in detail.text and "内部支持者" in detail.text


def _cli(servers: TestServers, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            str(REPO / p) for p in ("services/kernel", "services/customers", "gateway")
        ),
        "PANORAMA_GATEWAY_DATABASE_URL": servers.gateway_database_url,
        "PANORAMA_RABBITMQ_URL": servers.rabbitmq_url,
        "PANORAMA_DEMO_PASSWORD": "demo password 1",
        "PANORAMA_CUSTOMERS_SERVICE": SERVICE,
        "PANORAMA_REPLICA_SERVICES": f'["{SERVICE}"]',
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_create_admin_and_seed_demo(servers, customers_service, gateway_sessions):
    created = _cli(
        servers, "create-admin", "--username", "root", "--password-stdin", stdin="root password 1\n"
    )
    assert created.returncode == 0, created.stderr
    assert "created admin root" in created.stdout
    again = _cli(servers, "create-admin", "--username", "root", "--password-stdin", stdin="whatever 123\n")
    assert again.returncode == 0 and "already exists" in again.stdout
    weak = _cli(servers, "create-admin", "--username", "root2", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "password" in weak.stderr

    seeded = _cli(servers, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "A科技有限公司" in seeded.stdout and "done:" in seeded.stdout
    directory = Directory(SqlUserStore(gateway_sessions))
    sales2 = directory.authenticate("sales2", "demo password 1")
    assert sales2 is not None and sales2.team_id == directory.get_team_by_name("华南销售二组").id  # type: ignore[union-attr]
    reseeded = _cli(servers, "seed-demo")
    assert reseeded.returncode == 0 and "0 customers created" in reseeded.stdout


def test_idempotency_key_against_the_real_service_and_database(stack, gateway_engine):
    """A client retry after a timeout must not create a second record (issue 8 §2.10)."""
    client, _ = stack
    sales1 = login(client, "sales1")
    headers = {**sales1, "Idempotency-Key": f"it-{uuid.uuid4()}"}
    body = {"name": f"幂等集成{uuid.uuid4().hex[:6]}有限公司"}
    first = client.post("/api/v1/customers", json=body, headers=headers)
    again = client.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    listed = client.get("/api/v1/customers", params={"q": body["name"]}, headers=sales1).json()["items"]
    assert [c["id"] for c in listed] == [first.json()["id"]]
    cid = first.json()["id"]

    follow_up_headers = {**sales1, "Idempotency-Key": f"it-{uuid.uuid4()}"}
    note = {"channel": "call", "content": "重试的电话记录", "occurred_at": "2026-01-02T03:04:05Z"}
    for _ in range(2):
        response = client.post(f"/api/v1/customers/{cid}/follow-ups", json=note, headers=follow_up_headers)
        assert response.status_code == 201, response.text
    assert len(client.get(f"/api/v1/customers/{cid}/follow-ups", headers=sales1).json()["items"]) == 1

    changed = client.post("/api/v1/customers", json={"name": "另一个名字"}, headers=headers)
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "Idempotency-Key"
    # Kept in the gateway's database, so another replica would answer the same.
    with gateway_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT status, fingerprint FROM idempotency_keys WHERE key = :k"),
            {"k": headers["Idempotency-Key"]},
        ).one()
    assert stored.status == 201 and len(stored.fingerprint) == 64


def test_forged_cursors_are_422_through_the_gateway(stack):
    client, _ = stack
    sales1 = login(client, "sales1")
    cid = client.post(
        "/api/v1/customers", json={"name": f"游标{uuid.uuid4().hex[:6]}"}, headers=sales1
    ).json()["id"]
    for i in range(3):
        note = {"channel": "call", "content": f"第{i}次", "occurred_at": f"2026-01-0{i + 1}T00:00:00Z"}
        assert (
            client.post(f"/api/v1/customers/{cid}/follow-ups", json=note, headers=sales1).status_code == 201
        )
    page = client.get(f"/api/v1/customers/{cid}/follow-ups?limit=2", headers=sales1).json()
    good = page["next_cursor"]
    assert (
        len(
            client.get(f"/api/v1/customers/{cid}/follow-ups", params={"cursor": good}, headers=sales1).json()[
                "items"
            ]
        )
        == 1
    )
    unsigned = good.split(".")[0]
    # Before: base64 JSON with a position of the wrong type or shape gave 500 (DataError, KeyError).
    hand_made = "eyJ0IjogIm5vdCBhIHRpbWUiLCAiaWQiOiAieCJ9"
    other_list = client.get("/api/v1/customers?limit=1", headers=sales1).json()["next_cursor"]
    for bad in (unsigned, hand_made, other_list, f"{unsigned}.AAAAAAAAAAAAAAAAAAAAAA"):
        if bad is None:
            continue
        response = client.get(f"/api/v1/customers/{cid}/follow-ups", params={"cursor": bad}, headers=sales1)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["field"] == "cursor"


def test_a_down_service_leaves_the_gateway_ready_and_the_rest_working(
    servers, customers_service, gateway_sessions
):
    """Issue 8 §2.13 on the real broker: nobody serves the search service's queue."""
    absent = f"search_absent{uuid.uuid4().hex[:6]}"
    directory = Directory(SqlUserStore(gateway_sessions))
    directory.create_user(username="sales1", password=TEST_PASSWORD, roles=["sales"])
    settings = GatewaySettings(
        environment="test",
        gateway_database_url=servers.gateway_database_url,
        rabbitmq_url=servers.rabbitmq_url,
        ready_services=[SERVICE, absent],
        customers_service=SERVICE,
        replica_services=[SERVICE],
        search_service=absent,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        eventually(lambda: app.state.rpc.connected, timeout=20)
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["services"] == {SERVICE: "ok", absent: "down"}
        headers = login(client, "sales1")
        searched = client.get("/api/v1/search", params={"q": "x"}, headers=headers)
        assert searched.status_code == 503  # at once: the client sees no consumer on the queue
        assert searched.headers["content-type"] == "application/problem+json"
        assert client.get("/api/v1/customers", headers=headers).status_code == 200
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        client.post(
            "/login",
            data={"username": "sales1", "password": TEST_PASSWORD, "csrf_token": csrf.group(1)},
            follow_redirects=False,
        )
        dashboard = client.get("/")
        assert dashboard.status_code == 200
        assert "搜索服务暂不可用" in dashboard.text
