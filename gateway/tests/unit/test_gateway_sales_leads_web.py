"""The leads pages render against the empty fake sales service; the paste parser."""

from __future__ import annotations

import pytest
from gateway.services.sales.web_leads import parse_paste
from gateway_fakes import browser_login


@pytest.fixture
def sales1_browser(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    return client


def test_the_leads_list_has_its_tabs_and_forms(sales1_browser):
    for tab in ("mine", "pool", "all"):
        page = sales1_browser.get(f"/leads?tab={tab}")
        assert page.status_code == 200, page.text
        assert 'data-testid="lead-tabs"' in page.text and 'data-testid="empty-leads"' in page.text
        assert 'data-testid="import-leads"' in page.text
    assert sales1_browser.get("/leads?tab=nope").status_code == 422


def test_an_unknown_lead_is_a_not_found_page(sales1_browser):
    assert sales1_browser.get("/leads/no-such-lead").status_code == 404


def test_pasted_lines_become_rows():
    text = (
        "A科技有限公司, 张伟, 13800138000\n\n"
        "B贸易有限公司\t李雷\t\tli@example.com\tevent\tA\t华东\n"
        "C公司，王芳"
    )
    assert parse_paste(text) == [
        {"company_name": "A科技有限公司", "contact_name": "张伟", "phone": "13800138000"},
        {
            "company_name": "B贸易有限公司",
            "contact_name": "李雷",
            "email": "li@example.com",
            "source": "event",
            "grade": "A",
            "region": "华东",
        },
        {"company_name": "C公司", "contact_name": "王芳"},
    ]


def test_a_manager_has_the_rules_page(client, manager):
    assert browser_login(client, "manager").status_code == 303
    assert 'data-testid="lead-rules"' in client.get("/leads").text
    page = client.get("/leads/rules")
    assert page.status_code == 200, page.text
    assert 'data-testid="empty-rules"' in page.text and 'data-testid="new-rule"' in page.text
