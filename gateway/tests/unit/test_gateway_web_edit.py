"""Editing existing records in the web UI (fake services): forms prefilled, saves carry the version,
stale saves come back as 409 with the user's input, bad input names the field."""

from __future__ import annotations

import pytest
from gateway_fakes import browser_login, csrf_of


@pytest.fixture
def browser(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    return client


@pytest.fixture
def customer(client, sales1, token_for):
    headers = token_for(sales1)
    record = client.post(
        "/api/v1/customers",
        json={"name": "A科技有限公司", "industry": "软件", "size": "small", "tags": ["SaaS", "华东"]},
        headers=headers,
    ).json()
    contact = client.post(
        f"/api/v1/customers/{record['id']}/contacts",
        json={"name": "张伟", "title": "CTO", "phones": ["13800001111"], "emails": ["zw@a.cn"]},
        headers=headers,
    ).json()
    task = client.post(
        "/api/v1/tasks",
        json={"customer_id": record["id"], "title": "发送报价", "due_at": "2026-12-01T02:00:00Z"},
        headers=headers,
    ).json()
    return {"customer": record, "contact": contact, "task": task, "headers": headers}


def test_customer_page_links_to_the_edit_forms(browser, customer):
    page = browser.get(f"/customers/{customer['customer']['id']}").text
    assert f'href="/customers/{customer["customer"]["id"]}/edit"' in page
    assert f'href="/contacts/{customer["contact"]["id"]}/edit"' in page
    assert f'href="/tasks/{customer["task"]["id"]}/edit"' in page


def test_customer_edit_form_is_prefilled_and_saves_changes(browser, customer, rpc):
    cid = customer["customer"]["id"]
    form = browser.get(f"/customers/{cid}/edit")
    assert form.status_code == 200
    assert 'value="A科技有限公司"' in form.text and 'value="SaaS, 华东"' in form.text
    assert 'name="version" value="1"' in form.text
    response = browser.post(
        f"/customers/{cid}/edit",
        data={
            "name": "A科技股份有限公司",
            "industry": "",  # cleared
            "size": "medium",
            "status": "active",
            "value_tier": "vip",
            "tags": "SaaS，重点",
            "version": "1",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/customers/{cid}"
    call = rpc.calls_to("update_customer")[-1]
    assert call["expected_version"] == 1
    assert call["changes"]["industry"] is None
    assert call["changes"]["tags"] == ["SaaS", "重点"]
    saved = browser.get(f"/api/v1/customers/{cid}", headers=customer["headers"]).json()
    assert (saved["name"], saved["value_tier"], saved["version"]) == ("A科技股份有限公司", "vip", 2)


def test_a_stale_customer_save_keeps_the_input_and_shows_the_new_version(browser, customer):
    cid = customer["customer"]["id"]
    form = browser.get(f"/customers/{cid}/edit")
    browser.patch(
        f"/api/v1/customers/{cid}", json={"region": "上海", "version": 1}, headers=customer["headers"]
    )
    response = browser.post(
        f"/customers/{cid}/edit",
        data={
            "name": "我的改名有限公司",
            "status": "active",
            "version": "1",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert response.status_code == 409
    assert 'data-testid="stale-warning"' in response.text
    assert 'value="我的改名有限公司"' in response.text  # the user's input is not lost
    assert 'name="version" value="2"' in response.text  # saving again is a deliberate overwrite


def test_customer_edit_requires_a_name_and_names_the_field(browser, customer):
    cid = customer["customer"]["id"]
    form = browser.get(f"/customers/{cid}/edit")
    response = browser.post(
        f"/customers/{cid}/edit",
        data={"name": " ", "size": "gigantic", "version": "1", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.text


def test_contact_edit_saves_lists_and_redirects_to_the_customer(browser, customer, rpc):
    contact = customer["contact"]
    form = browser.get(f"/contacts/{contact['id']}/edit")
    assert form.status_code == 200
    assert 'value="13800001111"' in form.text and 'value="CTO"' in form.text
    response = browser.post(
        f"/contacts/{contact['id']}/edit",
        data={
            "name": "张伟",
            "title": "CEO",
            "role": "decision_maker",
            "phones": "13800001111, 021-55556666",
            "emails": "",
            "version": "1",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{customer['customer']['id']}#contacts"
    call = rpc.calls_to("update_contact")[-1]
    assert call["changes"]["phones"] == ["13800001111", "021-55556666"]
    assert call["changes"]["emails"] == [] and call["changes"]["is_primary"] is False
    assert call["expected_version"] == 1


def test_contact_edit_rejects_an_unknown_role_by_field(browser, customer):
    contact = customer["contact"]
    form = browser.get(f"/contacts/{contact['id']}/edit")
    response = browser.post(
        f"/contacts/{contact['id']}/edit",
        data={"name": "张伟", "role": "boss", "version": "1", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 422
    assert 'data-testid="form-errors"' in response.text and "决策角色" in response.text


def test_contact_delete_removes_it(browser, customer):
    contact = customer["contact"]
    form = browser.get(f"/contacts/{contact['id']}/edit")
    response = browser.post(
        f"/contacts/{contact['id']}/delete",
        data={"version": "1", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = browser.get(f"/customers/{customer['customer']['id']}").text
    assert "张伟" not in page


def test_task_edit_changes_due_status_and_assignee(browser, customer, manager, rpc):
    task = customer["task"]
    form = browser.get(f"/tasks/{task['id']}/edit")
    assert form.status_code == 200
    assert 'value="2026-12-01T10:00"' in form.text  # 02:00Z shown in Asia/Shanghai
    response = browser.post(
        f"/tasks/{task['id']}/edit",
        data={
            "title": "发送最终报价",
            "due_at": "2026-12-03T09:30",
            "status": "cancelled",
            "assignee_id": manager.id,
            "version": "1",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    call = rpc.calls_to("update_task")[-1]
    assert call["changes"] == {
        "title": "发送最终报价",
        "due_at": "2026-12-03T09:30:00+08:00",  # typed in Asia/Shanghai
        "status": "cancelled",
        "assignee_id": manager.id,
    }


def test_task_edit_with_a_stale_version_is_a_409_page(browser, customer):
    task = customer["task"]
    form = browser.get(f"/tasks/{task['id']}/edit")
    browser.patch(
        f"/api/v1/tasks/{task['id']}", json={"title": "别人改的", "version": 1}, headers=customer["headers"]
    )
    response = browser.post(
        f"/tasks/{task['id']}/edit",
        data={
            "title": "我的",
            "due_at": "2026-12-03T09:30",
            "status": "open",
            "assignee_id": task["assignee_id"],
            "version": "1",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert response.status_code == 409
    assert 'data-testid="stale-warning"' in response.text and 'value="我的"' in response.text


def test_support_cannot_open_edit_forms(client, make_user, customer):
    make_user("support", ["support"])
    assert browser_login(client, "support").status_code == 303
    assert client.get(f"/customers/{customer['customer']['id']}/edit").status_code == 403
