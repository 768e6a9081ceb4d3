"""The web UI with the fake services: login, pages, forms (CSRF), search partial, errors as pages."""

from __future__ import annotations

import re

import pytest
from gateway_fakes import TEST_PASSWORD, browser_login, csrf_of


@pytest.fixture
def sales1_browser(client, sales1):
    response = browser_login(client, "sales1")
    assert response.status_code == 303
    return client


@pytest.fixture
def a_tech(client, sales1, token_for):
    headers = token_for(sales1)
    customer = client.post(
        "/api/v1/customers",
        json={"name": "A科技有限公司", "status": "active", "value_tier": "important", "tags": ["SaaS"]},
        headers=headers,
    ).json()
    cid = customer["id"]
    for name, role in (("刘洋", "user"), ("张伟", "decision_maker"), ("陈静", "champion")):
        client.post(f"/api/v1/customers/{cid}/contacts", json={"name": name, "role": role}, headers=headers)
    client.post(
        f"/api/v1/customers/{cid}/follow-ups",
        json={"channel": "visit", "content": "首次拜访", "occurred_at": "2026-01-05T02:00:00Z"},
        headers=headers,
    )
    client.post(
        f"/api/v1/customers/{cid}/follow-ups",
        json={"channel": "call", "content": "电话确认预算", "occurred_at": "2026-02-01T02:00:00Z"},
        headers=headers,
    )
    client.post(
        "/api/v1/tasks",
        json={"customer_id": cid, "title": "发送报价", "due_at": "2020-01-01T02:00:00Z"},
        headers=headers,
    )
    return customer


def test_pages_redirect_to_login_when_logged_out(client):
    response = client.get("/customers?q=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/customers%3Fq%3Dx"


def test_htmx_requests_get_an_hx_redirect_instead(client):
    response = client.get("/ui/search?q=x", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.headers["hx-redirect"] == "/login"


def test_login_page_sets_csrf_cookie_and_security_headers(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert 'data-testid="login-form"' in page.text
    assert "panorama_csrf" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_login_sets_an_httponly_samesite_session_cookie(client, sales1):
    response = browser_login(client, "sales1", next_path="/customers")
    assert response.status_code == 303
    assert response.headers["location"] == "/customers"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("panorama_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=1800" in cookie


def test_login_never_redirects_off_site(client, sales1):
    response = browser_login(client, "sales1", next_path="//evil.example/")
    assert response.headers["location"] == "/"


def test_login_without_the_csrf_token_is_refused(client, sales1):
    client.get("/login")
    response = client.post(
        "/login", data={"username": "sales1", "password": TEST_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert 'data-testid="login-error"' in response.text
    assert "panorama_session" not in response.headers.get("set-cookie", "")


def test_wrong_password_shows_a_chinese_message(client, sales1):
    response = browser_login(client, "sales1", password="wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_dashboard_lists_my_customers_and_tasks(sales1_browser, a_tech):
    page = sales1_browser.get("/")
    assert page.status_code == 200
    assert "A科技有限公司" in page.text
    assert 'data-testid="global-search-input"' in page.text
    assert "发送报价" in page.text and "已逾期" in page.text


def test_customer_page_shows_decision_chain_timeline_and_tasks(sales1_browser, a_tech):
    page = sales1_browser.get(f"/customers/{a_tech['id']}")
    assert page.status_code == 200
    text = page.text
    # decision chain: decision maker, champion, then user
    assert text.index("张伟") < text.index("陈静") < text.index("刘洋")
    assert "决策人" in text and "内部支持者" in text
    # timeline newest first, rendered in Asia/Shanghai (02:00Z = 10:00 +08)
    assert text.index("电话确认预算") < text.index("首次拜访")
    assert "2026-02-01 10:00" in text
    assert 'data-testid="follow-up-form"' in text
    # sales may not transfer
    assert 'data-testid="transfer-form"' not in text


def test_managers_see_the_transfer_form(client, manager, sales1, a_tech):
    assert browser_login(client, "manager").status_code == 303
    page = client.get(f"/customers/{a_tech['id']}")
    assert 'data-testid="transfer-form"' in page.text


def test_add_follow_up_with_htmx_returns_the_refreshed_section(sales1_browser, a_tech, rpc):
    page = sales1_browser.get(f"/customers/{a_tech['id']}")
    response = sales1_browser.post(
        f"/customers/{a_tech['id']}/follow-ups",
        data={"channel": "wechat", "content": "微信发送资料", "occurred_at": "2026-03-01T09:30"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page.text)},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "微信发送资料" in response.text
    sent = rpc.calls_to("create_follow_up")[-1]["data"]
    assert sent["occurred_at"] == "2026-03-01T09:30:00+08:00"  # typed in the user's zone
    assert response.text.index("微信发送资料") < response.text.index("电话确认预算")


def test_add_follow_up_without_js_redirects_back(sales1_browser, a_tech):
    page = sales1_browser.get(f"/customers/{a_tech['id']}")
    response = sales1_browser.post(
        f"/customers/{a_tech['id']}/follow-ups",
        data={"channel": "call", "content": "x", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("#follow-ups")


def test_follow_up_errors_are_shown_next_to_the_form(sales1_browser, a_tech):
    page = sales1_browser.get(f"/customers/{a_tech['id']}")
    response = sales1_browser.post(
        f"/customers/{a_tech['id']}/follow-ups",
        data={"channel": "pigeon", "content": "", "csrf_token": csrf_of(page.text)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.text
    assert "方式" in response.text  # the field, by its Chinese label


def test_forged_form_post_is_refused(sales1_browser, a_tech):
    response = sales1_browser.post(
        f"/customers/{a_tech['id']}/follow-ups",
        data={"channel": "call", "content": "x", "csrf_token": "f" * 43},
    )
    assert response.status_code == 403
    assert 'data-testid="error-page"' in response.text


def test_create_customer_form(sales1_browser):
    page = sales1_browser.get("/customers/new")
    response = sales1_browser.post(
        "/customers",
        data={"name": "新客户有限公司", "tags": "制造，华东", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    detail = sales1_browser.get(response.headers["location"])
    assert "新客户有限公司" in detail.text and "制造" in detail.text


def test_search_partial_groups_by_kind_and_allows_only_em(sales1_browser, a_tech, rpc):
    rpc.search.extra_hits.append(
        {
            "kind": "contact",
            "id": "c-x",
            "customer_id": a_tech["id"],
            "customer_name": "A科技有限公司",
            "title": "张伟",
            "text": "张伟",
            "snippet": '<em>张伟</em><script>alert(1)</script><b onclick="x">总</b>',
        }
    )
    response = sales1_browser.get("/ui/search?q=张伟", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="search-group" data-kind="contact"' in html
    assert "<em>张伟</em>" in html
    assert "<script>" not in html and "alert(1)" not in html and "onclick" not in html and "<b" not in html
    assert f'href="/customers/{a_tech["id"]}#contact-c-x"' in html


def test_search_hit_names_its_customer_once_and_shows_the_matching_field(sales1_browser, a_tech, rpc):
    rpc.search.extra_hits += [
        {
            "kind": "contact", "id": "c-phone", "customer_id": a_tech["id"], "customer_name": "A科技有限公司",
            "title": "张伟", "text": "zz5678", "snippet": "+86 138-0013-<em>5678</em><script>x()</script>",
            "snippet_field": "phones",
        },
        {
            "kind": "follow_up", "id": "f-1", "customer_id": a_tech["id"], "customer_name": "A科技有限公司",
            "title": "来电", "text": "zz5678", "customer_name_html": "<em>A科技</em>有限公司",
            "snippet": "下周<em>报价</em>", "snippet_field": "body",
        },
        {
            "kind": "customer", "id": "c-self", "customer_id": "c-self", "customer_name": "自有有限公司",
            "title": "自有有限公司", "title_html": "<em>自有</em>有限公司", "text": "zz5678",
            "snippet": "制造 · 上海", "snippet_field": None,
        },
    ]  # fmt: skip
    html = sales1_browser.get("/ui/search?q=zz5678", headers={"HX-Request": "true"}).text
    contact = html.split('data-id="c-phone"', 1)[1].split("</a>", 1)[0]
    assert contact.count("A科技有限公司") == 1  # the customer once, not again as the snippet
    assert 'data-field="phones"' in contact and '<span class="snippet-field">电话</span>' in contact
    assert "<em>5678</em>" in contact and "<script>" not in contact
    note = html.split('data-id="f-1"', 1)[1].split("</a>", 1)[0]
    assert '<div class="meta" data-testid="search-customer"><em>A科技</em>有限公司</div>' in note
    assert 'data-field="body"' in note and "snippet-field" not in note  # free text needs no label
    customer = html.split('data-id="c-self"', 1)[1].split("</a>", 1)[0]
    assert "search-customer" not in customer and customer.count("有限公司") == 1
    assert "<em>自有</em>有限公司" in customer and 'data-field=""' in customer


def test_search_partial_with_no_results_says_so(sales1_browser):
    html = sales1_browser.get("/ui/search?q=不存在的东西").text
    assert 'data-testid="search-empty"' in html


def test_search_partial_when_search_is_down_says_so_without_failing(sales1_browser, rpc):
    rpc.down.add("search")
    response = sales1_browser.get("/ui/search?q=x")
    assert response.status_code == 200
    assert 'data-testid="search-error"' in response.text


def test_full_search_page(sales1_browser, a_tech):
    page = sales1_browser.get("/search?q=A科技")
    assert page.status_code == 200
    assert 'data-testid="search-result"' in page.text


def test_the_search_page_asks_for_facets_and_the_dropdown_does_not(sales1_browser, a_tech, rpc):
    page = sales1_browser.get("/search?q=A科技")
    assert rpc.search.calls[-1]["facets"] is True
    assert 'data-testid="search-facets"' in page.text and 'data-testid="search-group-count"' in page.text
    dropdown = sales1_browser.get("/ui/search?q=A科技", headers={"HX-Request": "true"})
    assert rpc.search.calls[-1]["facets"] is False
    assert 'data-testid="search-result"' in dropdown.text
    assert 'data-testid="search-group-count"' not in dropdown.text  # no count it was not given


def test_a_total_past_the_cap_shows_as_a_lower_bound(sales1_browser, a_tech, rpc):
    for n in range(3):
        rpc.search.extra_hits.append(
            {"kind": "contact", "id": f"c-{n}", "customer_id": a_tech["id"], "title": f"zzcap {n}"}
        )
    rpc.search.total_hits_cap = 2
    page = sales1_browser.get("/search?q=zzcap").text
    assert 'data-testid="search-total">共 2+ 条' in page
    dropdown = sales1_browser.get("/ui/search?q=zzcap", headers={"HX-Request": "true"}).text
    assert "查看全部 2+ 条结果" in dropdown
    rpc.search.total_hits_cap = 1000
    assert 'data-testid="search-total">共 3 条' in sales1_browser.get("/search?q=zzcap").text


def test_unknown_customer_is_a_friendly_404_page(sales1_browser):
    page = sales1_browser.get("/customers/nope")
    assert page.status_code == 404
    assert 'data-testid="error-page"' in page.text and "找不到" in page.text
    assert "Traceback" not in page.text


def test_customers_service_down_is_a_503_page_not_a_stack_trace(sales1_browser, rpc):
    rpc.down.add("customers")
    page = sales1_browser.get("/customers")
    assert page.status_code == 503
    assert "customers service unavailable" in page.text
    assert 'data-testid="error-reference"' in page.text


def test_unknown_page_is_html_for_browsers_and_json_for_apis(client):
    assert (
        client.get("/nowhere", headers={"Accept": "text/html"})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert client.get("/api/v1/nowhere").headers["content-type"] == "application/problem+json"


def test_logout_clears_the_cookie(sales1_browser):
    page = sales1_browser.get("/")
    response = sales1_browser.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert 'panorama_session=""' in response.headers["set-cookie"]
    assert sales1_browser.get("/", follow_redirects=False).status_code == 303


def test_complete_task_button(sales1_browser, a_tech, rpc):
    page = sales1_browser.get("/tasks")
    assert "发送报价" in page.text
    found = re.search(r'data-task-id="([^"]+)"', page.text)
    assert found
    task_id = found.group(1)
    response = sales1_browser.post(
        f"/tasks/{task_id}/complete",
        data={"csrf_token": csrf_of(page.text), "version": "1", "next": "/tasks"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert rpc.calls_to("update_task")[-1]["changes"] == {"status": "done"}


def test_static_assets_are_served_locally(client):
    assert client.get("/static/htmx.min.js").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_session_is_renewed_past_half_its_life(client, app, store, sales1):
    from dataclasses import replace
    from datetime import timedelta

    from kernel.clock import utcnow

    # the account predates the token (a token older than the password is refused)
    store.users[sales1.id] = replace(sales1, password_changed_at=utcnow() - timedelta(days=1))
    old = app.state.tokens.issue(sales1.id, now=utcnow() - timedelta(minutes=20), session_id="s-1")
    page = client.get("/", headers={"Cookie": f"panorama_session={old}"}, follow_redirects=False)
    assert page.status_code == 200
    renewed = re.search(r"panorama_session=([^;]+)", page.headers["set-cookie"])
    assert renewed and app.state.tokens.verify(renewed.group(1)).session_id == "s-1"  # same session
    fresh = app.state.tokens.issue(sales1.id, session_id="s-1")
    page = client.get("/", headers={"Cookie": f"panorama_session={fresh}"}, follow_redirects=False)
    assert page.status_code == 200
    assert "panorama_session=" not in page.headers.get("set-cookie", "")


def test_expired_session_goes_back_to_login(client, app, sales1):
    from datetime import timedelta

    from kernel.clock import utcnow

    client.cookies.set(
        "panorama_session", app.state.tokens.issue(sales1.id, now=utcnow() - timedelta(hours=1))
    )
    response = client.get("/customers", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_finance_sees_customer_basics_only(client, finance, a_tech):
    assert browser_login(client, "finance").status_code == 303
    page = client.get(f"/customers/{a_tech['id']}")
    assert page.status_code == 200
    assert "A科技有限公司" in page.text
    assert 'data-testid="follow-up-form"' not in page.text
    # contacts are customer basics (how finance reaches the payer): read, never changed
    assert 'data-testid="contacts-section"' in page.text
    assert 'data-testid="contact-form"' not in page.text and 'data-testid="contact-edit"' not in page.text
    assert 'data-testid="nav-tasks"' not in page.text
    assert client.get("/customers/new").status_code == 403


def test_audit_tab(sales1_browser, a_tech):
    page = sales1_browser.get(f"/customers/{a_tech['id']}?tab=audit")
    assert page.status_code == 200
    assert 'data-testid="audit-row"' in page.text and "创建" in page.text


def test_quote_hits_say_which_version_they_are_and_which_is_final(sales1_browser, a_tech, rpc):
    rpc.search.extra_hits += [
        {
            "kind": "quote", "id": "q-1", "customer_id": a_tech["id"], "customer_name": "A科技有限公司",
            "title": "Q-2026-000001 全员CRM升级", "text": "zzquote", "version": n, "is_final": n == 3,
            "status": "sent" if n == 3 else "draft",
        }
        for n in (3, 2)
    ]  # fmt: skip
    html = sales1_browser.get("/ui/search?q=zzquote", headers={"HX-Request": "true"}).text
    final, older = (hit.split("</a>")[0] for hit in html.split('data-id="q-1"')[1:3])
    assert 'data-testid="search-version">v3<' in final and 'data-testid="search-final"' in final
    assert 'data-testid="search-version">v2<' in older and 'data-testid="search-final"' not in older
    assert 'href="/quotes/q-1"' in html
