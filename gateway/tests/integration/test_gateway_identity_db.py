"""Users and teams on the real PostgreSQL test database, and the app logging in against it."""

from __future__ import annotations

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from gateway.auth.directory import Directory
from gateway.auth.sql_store import SqlUserStore
from gateway.db import ALEMBIC_INI, migrate
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD, FakeRpc
from kernel.errors import Conflict, ValidationError
from sqlalchemy import text

pytestmark = pytest.mark.integration


@pytest.fixture
def directory(gateway_sessions) -> Directory:
    return Directory(SqlUserStore(gateway_sessions))


def test_migrations_are_idempotent_and_create_the_tables(gateway_engine):
    migrate(gateway_engine)  # second run: nothing to do, no error
    with gateway_engine.connect() as conn:
        tables = set(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert {
        "users",
        "teams",
        "idempotency_keys",
        "login_failures",
        "revoked_sessions",
        "outbox",
        "alembic_version",
    } <= tables
    head = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert version == head


def test_users_round_trip_with_argon2id_hashes(directory):
    team = directory.create_team("华东销售一组")
    user = directory.create_user(
        username="Sales1", password=TEST_PASSWORD, display_name="李晓明", roles=["sales"], team_id=team.id
    )
    assert user.username == "sales1"
    assert user.password_hash.startswith("$argon2id$")
    stored = directory.get_user(user.id)
    assert stored is not None and stored.roles == ("sales",) and stored.team_id == team.id
    assert directory.authenticate("sales1", TEST_PASSWORD) == stored
    assert directory.authenticate("sales1", "wrong password") is None
    # time-ordered ids: a later user sorts after an earlier one
    later = directory.create_user(username="sales2", password=TEST_PASSWORD)
    assert later.id > user.id


def test_duplicate_names_are_conflicts(directory):
    directory.create_team("T")
    with pytest.raises(Conflict):
        directory.create_team("T")
    directory.create_user(username="dup", password=TEST_PASSWORD)
    with pytest.raises(Conflict) as raised:
        directory.create_user(username="DUP", password=TEST_PASSWORD)
    assert raised.value.errors == [{"field": "username", "message": "already taken"}]


def test_invalid_input_names_every_field(directory):
    with pytest.raises(ValidationError) as raised:
        directory.create_user(
            username="x", password="short", roles=["king"], team_id="nope", timezone="Mars/Base"
        )
    fields = {e["field"] for e in raised.value.errors}
    assert fields == {"username", "password", "roles", "team_id", "timezone"}


def test_update_roles_deactivate_and_password(directory):
    admin = directory.create_user(username="root", password=TEST_PASSWORD, roles=["admin"])
    user = directory.create_user(username="u1", password=TEST_PASSWORD, roles=["sales"])
    changed = directory.update_user(
        user.id, roles=["manager", "sales"], active=False, acting_user_id=admin.id
    )
    assert changed.roles == ("manager", "sales") and changed.active is False and changed.version == 2
    assert directory.authenticate("u1", TEST_PASSWORD) is None  # deactivated
    directory.update_user(user.id, active=True, password="another password")
    assert directory.authenticate("u1", "another password") is not None
    with pytest.raises(Conflict):
        directory.update_user(admin.id, active=False, acting_user_id=admin.id)
    with pytest.raises(Conflict):
        directory.update_user(admin.id, roles=["sales"], acting_user_id=admin.id)


def test_the_app_logs_in_against_the_real_database(servers, gateway_engine, gateway_sessions):
    Directory(SqlUserStore(gateway_sessions)).create_user(
        username="dbuser", password=TEST_PASSWORD, roles=["sales"]
    )
    settings = GatewaySettings(environment="test", gateway_database_url=servers.gateway_database_url)
    app = create_app(settings, rpc=FakeRpc())
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": "dbuser", "password": TEST_PASSWORD})
        assert token.status_code == 200
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert me.json()["username"] == "dbuser"
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
