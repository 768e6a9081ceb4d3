"""Login (OAuth2 password flow), /me, token invalidation and failed-login throttling."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from gateway_fakes import TEST_PASSWORD, browser_login
from kernel.clock import utcnow


def login(client, username: str, password: str = TEST_PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_password_flow_issues_a_bearer_token_that_identifies_the_user(client, sales1):
    response = login(client, "sales1")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "sales1"
    assert me.json()["roles"] == ["sales"]
    assert me.json()["team_name"] == "华东销售一组"
    assert me.json()["timezone"] == "Asia/Shanghai"
    assert "password_hash" not in me.json()


def test_username_is_case_insensitive(client, sales1):
    assert login(client, "  SALES1 ").status_code == 200


def test_wrong_password_is_a_401_problem_with_www_authenticate(client, sales1):
    response = login(client, "sales1", "nope-nope-nope")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"] == "urn:panorama:problem:unauthenticated"


def test_unknown_user_looks_exactly_like_a_wrong_password(client, sales1):
    unknown = login(client, "nobody")
    wrong = login(client, "sales1", "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_missing_form_fields_are_named(client):
    response = client.post("/api/v1/auth/token", data={"username": "x"})
    assert response.status_code == 422
    assert {"field": "password", "message": "Field required"} in response.json()["errors"]


def test_five_failures_throttle_the_account_with_retry_after(client, sales1):
    for _ in range(5):
        assert login(client, "sales1", "bad-password").status_code == 401
    throttled = login(client, "sales1")  # even the right password waits now
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 300
    assert throttled.json()["type"] == "urn:panorama:problem:too-many-requests"


def test_success_resets_the_account_counter(client, sales1):
    for _ in range(4):
        login(client, "sales1", "bad-password")
    assert login(client, "sales1").status_code == 200
    for _ in range(4):
        login(client, "sales1", "bad-password")
    assert login(client, "sales1").status_code == 200


def test_one_address_guessing_many_accounts_is_throttled(client, app):
    limit = app.state.settings.login_max_failures_per_address
    for i in range(limit):
        login(client, f"user{i}", "bad-password")
    assert login(client, "someone-else", "bad-password").status_code == 429


def test_api_requires_a_token(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_garbage_and_foreign_tokens_are_refused(client, app, sales1):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    import jwt

    forged = jwt.encode({"sub": sales1.id, "iss": "panorama-gateway", "iat": 1, "exp": 4102444800}, "x" * 40)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    unsigned = jwt.encode(
        {"sub": sales1.id, "iss": "panorama-gateway", "iat": 1, "exp": 4102444800}, None, "none"
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401


def test_expired_token_is_refused(client, app, sales1):
    old = app.state.tokens.issue(sales1.id, now=utcnow() - timedelta(hours=2))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_deactivation_takes_effect_immediately(client, app, admin, sales1, token_for):
    headers = token_for(sales1)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    response = client.post(f"/api/v1/users/{sales1.id}/deactivate", headers=token_for(admin))
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert login(client, "sales1").status_code == 401


def test_password_change_revokes_older_tokens(client, app, admin, sales1):
    old = app.state.tokens.issue(sales1.id, now=utcnow() - timedelta(seconds=5))
    changed = client.patch(
        f"/api/v1/users/{sales1.id}",
        json={"password": "a new password 2"},
        headers={"Authorization": f"Bearer {app.state.tokens.issue(admin.id)}"},
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert login(client, "sales1", "a new password 2").status_code == 200


@contextlib.contextmanager
def every_password_slot_taken(monkeypatch):
    """Every password-check slot held, as a burst of logins in progress would, and a short wait."""
    from gateway.auth import passwords

    monkeypatch.setattr(passwords, "CHECK_WAIT_SECONDS", 0.05)
    taken = 0
    while passwords._slots.acquire(blocking=False):
        taken += 1
    try:
        yield
    finally:
        for _ in range(taken):
            passwords._slots.release()


def test_a_login_burst_beyond_the_password_checks_is_a_503_with_retry_after(client, sales1, monkeypatch):
    with every_password_slot_taken(monkeypatch):
        busy = login(client, "sales1")
    assert busy.status_code == 503
    assert busy.json()["type"] == "urn:panorama:problem:service-unavailable"
    assert int(busy.headers["retry-after"]) > 0
    # No verdict was given: the turned-away attempts do not count towards the throttle.
    with every_password_slot_taken(monkeypatch):
        for _ in range(6):
            assert login(client, "sales1", "bad-password").status_code == 503
    assert login(client, "sales1").status_code == 200


def test_the_login_page_says_busy_in_a_burst(client, sales1, monkeypatch):
    with every_password_slot_taken(monkeypatch):
        response = browser_login(client, "sales1")
    assert response.status_code == 503 and "登录人数过多" in response.text
    assert int(response.headers["retry-after"]) > 0
