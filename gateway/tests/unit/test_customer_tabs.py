"""Other services' tabs on the customer page (``ServiceModule.customer_tabs``): shown to the roles
holding their capability, loaded only when opened, unknown tabs a 404."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request
from gateway.services import CustomerTab, ServiceModule, register
from gateway.web.templating import add_templates
from gateway_fakes import browser_login

LOADS: list[str] = []


async def _load(request: Request, user: Any, customer_id: str) -> dict[str, Any]:
    LOADS.append(customer_id)
    return {"probe_items": ["第一条 first", "second"]}


@pytest.fixture
def probe_tab(app, tmp_path):
    (tmp_path / "probe_tab.html").write_text(
        '<ul data-testid="probe-list">{% for i in probe_items %}<li>{{ i }}</li>{% endfor %}</ul>'
    )
    add_templates(tmp_path)
    tab = CustomerTab(
        key="probe", label="探针 Probe", capability="tasks:read", template="probe_tab.html", load=_load
    )
    register(app, ServiceModule(name="probe", label="probe", customer_tabs=(tab,)))
    LOADS.clear()
    return tab


def _customer(client, token_for, owner) -> str:
    response = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(owner))
    assert response.status_code == 201
    return str(response.json()["id"])


def test_a_registered_tab_is_listed_and_loads_only_when_opened(client, probe_tab, sales1, token_for):
    customer_id = _customer(client, token_for, sales1)
    assert browser_login(client, "sales1").status_code == 303
    overview = client.get(f"/customers/{customer_id}")
    assert 'data-testid="tab-probe"' in overview.text and LOADS == []
    page = client.get(f"/customers/{customer_id}?tab=probe")
    assert page.status_code == 200 and [customer_id] == LOADS
    assert 'data-testid="probe-list"' in page.text and "第一条 first" in page.text
    assert 'data-testid="customer-info"' not in page.text  # the tab replaces the overview


def test_the_tab_needs_its_capability_and_unknown_tabs_are_404(client, probe_tab, sales1, finance, token_for):
    customer_id = _customer(client, token_for, sales1)
    assert browser_login(client, "finance").status_code == 303
    assert 'data-testid="tab-probe"' not in client.get(f"/customers/{customer_id}").text
    assert client.get(f"/customers/{customer_id}?tab=probe").status_code == 403
    assert client.get(f"/customers/{customer_id}?tab=nosuch").status_code == 404
    assert LOADS == []
