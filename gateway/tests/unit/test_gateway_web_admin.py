"""User and team administration in the web UI (fake services): admins change, managers look."""

from __future__ import annotations

import pytest
from gateway_fakes import TEST_PASSWORD, browser_login, csrf_of


@pytest.fixture
def admin_browser(client, admin):
    assert browser_login(client, "admin").status_code == 303
    return client


def test_admin_creates_a_team_then_a_user_who_can_log_in(admin_browser, client, app, rpc):
    page = admin_browser.get("/admin/users")
    assert page.status_code == 200 and 'data-testid="user-form"' in page.text
    response = admin_browser.post(
        "/admin/teams",
        data={"name": "华北销售三组", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    team = app.state.directory.get_team_by_name("华北销售三组")
    page = admin_browser.get("/admin/users")
    response = admin_browser.post(
        "/admin/users",
        data={
            "username": "sales3",
            "display_name": "销售三",
            "password": "a-long-password",
            "team_id": team.id,
            "roles": ["sales", "finance"],
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    created = app.state.directory.get_by_username("sales3")
    assert (created.display_name, created.roles, created.team_id) == ("销售三", ("sales", "finance"), team.id)
    assert rpc.customers.directory[created.id]["team_id"] == team.id  # replicated at once
    listing = admin_browser.get("/admin/users").text
    assert 'data-username="sales3"' in listing and "华北销售三组" in listing
    client.cookies.clear()
    assert browser_login(client, "sales3", password="a-long-password").status_code == 303


def test_a_taken_username_is_a_409_that_keeps_the_input_but_not_the_password(admin_browser, sales1):
    page = admin_browser.get("/admin/users")
    response = admin_browser.post(
        "/admin/users",
        data={"username": "sales1", "password": "secret-password-9", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 409
    assert 'data-testid="form-errors"' in response.text and 'value="sales1"' in response.text
    assert "secret-password-9" not in response.text


def test_a_short_password_names_the_field(admin_browser):
    page = admin_browser.get("/admin/users")
    response = admin_browser.post(
        "/admin/users", data={"username": "x9", "password": "short", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 422 and "密码" in response.text


def test_admin_changes_roles_deactivates_and_resets_a_password(admin_browser, client, app, sales1):
    form = admin_browser.get(f"/admin/users/{sales1.id}")
    assert form.status_code == 200 and 'value="销售一"' in form.text
    response = admin_browser.post(
        f"/admin/users/{sales1.id}",
        data={
            "display_name": "销售一（离职）",
            "timezone": "Asia/Shanghai",
            "team_id": sales1.team_id,
            "roles": ["sales", "manager"],
            "password": "brand-new-password",
            "csrf_token": csrf_of(form.text),
        },  # "active" unchecked: deactivated
        follow_redirects=False,
    )
    assert response.status_code == 303
    changed = app.state.directory.get_user(sales1.id)
    assert set(changed.roles) == {"manager", "sales"}
    assert not changed.active and changed.display_name == "销售一（离职）"
    client.cookies.clear()
    assert browser_login(client, "sales1", password="brand-new-password").status_code == 401  # inactive


def test_an_admin_cannot_lock_themselves_out(admin_browser, admin):
    form = admin_browser.get(f"/admin/users/{admin.id}")
    response = admin_browser.post(
        f"/admin/users/{admin.id}",
        data={"display_name": "admin", "timezone": "Asia/Shanghai", "roles": "sales", "active": "1",
              "csrf_token": csrf_of(form.text)},
    )  # fmt: skip
    assert response.status_code == 409 and 'data-testid="form-errors"' in response.text


def test_managers_see_the_list_but_no_forms_and_sales_see_nothing(client, manager, sales1):
    assert browser_login(client, "manager").status_code == 303
    page = client.get("/admin/users")
    assert page.status_code == 200 and 'data-username="sales1"' in page.text
    assert 'data-testid="user-form"' not in page.text and 'data-testid="user-edit"' not in page.text
    assert client.get(f"/admin/users/{sales1.id}").status_code == 403
    client.cookies.clear()
    assert browser_login(client, "sales1", password=TEST_PASSWORD).status_code == 303
    assert client.get("/admin/users").status_code == 403
    assert 'data-testid="nav-admin"' not in client.get("/").text
