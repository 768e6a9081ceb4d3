"""Issue 8 §2.11: the CSRF token is bound to the session, logout revokes the session server-side,
and over https the session cookie is ``__Host-`` prefixed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import TEST_PASSWORD, browser_login, csrf_of


def _post_customer(client: TestClient, csrf: str) -> int:
    return client.post(
        "/customers", data={"csrf_token": csrf, "name": "会话测试公司"}, follow_redirects=False
    ).status_code


def test_the_csrf_token_belongs_to_one_session(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    first_session = client.cookies.get("panorama_session")
    first_token = csrf_of(client.get("/customers/new").text)
    # The same browser logs in again: a new session, a new token; the old token is refused.
    assert browser_login(client, "sales1").status_code == 303
    assert client.cookies.get("panorama_session") != first_session
    second_token = csrf_of(client.get("/customers/new").text)
    assert second_token != first_token
    assert _post_customer(client, first_token) == 403
    assert _post_customer(client, second_token) == 303


def test_a_csrf_token_works_only_with_its_own_session_cookie(client, app, sales1, sales2):
    assert browser_login(client, "sales2").status_code == 303
    sales2_token = csrf_of(client.get("/customers/new").text)
    other = TestClient(app)  # a second browser (the app is already running for the first)
    assert browser_login(other, "sales1").status_code == 303
    assert _post_customer(other, sales2_token) == 403


def test_the_token_is_not_a_free_standing_cookie(client, sales1):
    """The old double-submit check accepted any token equal to the panorama_csrf cookie."""
    assert browser_login(client, "sales1").status_code == 303
    forged = "A" * 43
    client.cookies.set("panorama_csrf", forged)
    assert _post_customer(client, forged) == 403


def test_logout_revokes_the_session_cookie_and_its_csrf_token(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    session_cookie = client.cookies.get("panorama_session")
    token = csrf_of(client.get("/customers/new").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    # Someone who kept a copy of the cookie and the token (a stolen cookie, a shared computer):
    client.cookies.set("panorama_session", session_cookie)
    assert client.get("/", follow_redirects=False).status_code == 303  # to the login page
    response = client.post("/customers", data={"csrf_token": token, "name": "注销后"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    # ... and the session's token is refused on the API too.
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {session_cookie}"})
    assert api.status_code == 401


def test_logout_does_not_touch_other_sessions(client, app, sales1):
    other = TestClient(app)  # a second browser
    assert browser_login(other, "sales1").status_code == 303
    assert browser_login(client, "sales1").status_code == 303
    token = csrf_of(client.get("/").text)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert other.get("/", follow_redirects=False).status_code == 200


def test_api_tokens_are_not_browser_sessions(client, app, sales1):
    client.cookies.set("panorama_session", app.state.tokens.issue(sales1.id))
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.fixture
def https_client(settings, rpc, store):
    secure = settings.model_copy(update={"public_url": "https://crm.example.com"})
    with TestClient(create_app(secure, rpc=rpc, store=store), base_url="https://testserver") as client:
        yield client


def test_over_https_the_session_cookie_is_host_prefixed(https_client, store, make_user):
    store_user = make_user("sales9", ["sales"])
    page = https_client.get("/login")
    presession = page.headers["set-cookie"]
    assert presession.startswith("__Host-panorama_csrf=") and "Secure" in presession
    response = https_client.post(
        "/login",
        data={"username": store_user.username, "password": TEST_PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-panorama_session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert re.search(r"[Pp]ath=/(;|$)", cookie)
    assert https_client.get("/", follow_redirects=False).status_code == 200
    # The unprefixed name means nothing over https (a subdomain could have planted it).
    https_client.cookies.clear()
    https_client.cookies.set("panorama_session", response.cookies.get("__Host-panorama_session") or "")
    assert https_client.get("/", follow_redirects=False).status_code == 303


def test_over_http_cookies_keep_plain_names(settings: GatewaySettings, client, sales1):
    assert not settings.secure_cookies
    assert browser_login(client, "sales1").headers["set-cookie"].startswith("panorama_session=")
