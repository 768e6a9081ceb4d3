"""Admin API: users and teams, role changes, deactivation, replication to customers."""

from __future__ import annotations


def test_admin_creates_a_user_and_it_is_replicated(client, admin, token_for, rpc):
    team = client.post("/api/v1/teams", json={"name": "华北销售三组"}, headers=token_for(admin))
    assert team.status_code == 201
    response = client.post(
        "/api/v1/users",
        json={"username": "sales3", "password": "sales3 password", "display_name": "王五", "roles": ["sales"],
              "team_id": team.json()["id"]},
        headers=token_for(admin),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["location"] == f"/api/v1/users/{user['id']}"
    assert "password" not in response.text
    replica = rpc.customers.directory[user["id"]]
    assert replica == {"id": user["id"], "username": "sales3", "display_name": "王五",
                       "team_id": team.json()["id"], "roles": ["sales"], "active": True,
                       "version": 1}  # fmt: skip


def test_only_admins_manage_users(client, sales1, manager, token_for):
    body = {"username": "x1", "password": "long enough 1"}
    assert client.post("/api/v1/users", json=body, headers=token_for(sales1)).status_code == 403
    assert client.post("/api/v1/users", json=body, headers=token_for(manager)).status_code == 403
    assert client.get("/api/v1/users", headers=token_for(manager)).status_code == 200
    assert client.get("/api/v1/users", headers=token_for(sales1)).status_code == 403


def test_duplicate_username_is_409(client, admin, sales1, token_for):
    response = client.post(
        "/api/v1/users", json={"username": "sales1", "password": "long enough 1"}, headers=token_for(admin)
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "username", "message": "already taken"}]


def test_bad_user_input_names_the_fields(client, admin, token_for):
    response = client.post(
        "/api/v1/users",
        json={"username": "Bad Name!", "password": "short", "roles": ["king"]},
        headers=token_for(admin),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"username", "password", "roles.0"}


def test_change_roles_and_team_replicates(client, admin, sales1, token_for, rpc):
    response = client.patch(f"/api/v1/users/{sales1.id}", json={"roles": ["manager"], "team_id": None},
                            headers=token_for(admin))  # fmt: skip
    assert response.status_code == 200
    assert response.json()["roles"] == ["manager"] and response.json()["team_id"] is None
    assert rpc.customers.directory[sales1.id]["roles"] == ["manager"]
    # the change applies to the user's very next request (no stale roles in the token)
    assert client.get("/api/v1/me", headers=token_for(sales1)).json()["roles"] == ["manager"]


def test_admin_cannot_lock_themselves_out(client, admin, token_for):
    assert client.post(f"/api/v1/users/{admin.id}/deactivate", headers=token_for(admin)).status_code == 409
    response = client.patch(f"/api/v1/users/{admin.id}", json={"roles": ["sales"]}, headers=token_for(admin))
    assert response.status_code == 409


def test_unknown_user_is_404(client, admin, token_for):
    assert client.get("/api/v1/users/nope", headers=token_for(admin)).status_code == 404
    assert (
        client.patch("/api/v1/users/nope", json={"active": False}, headers=token_for(admin)).status_code
        == 404
    )


def test_user_changes_still_succeed_when_customers_is_down(client, admin, sales1, token_for, rpc):
    rpc.down.add("customers")
    response = client.patch(
        f"/api/v1/users/{sales1.id}", json={"display_name": "新名字"}, headers=token_for(admin)
    )
    assert response.status_code == 200
    rpc.down.clear()
