"""Issue 8 §2.13: one service down does not fail the gateway's readiness; its routes answer 503
problem+json, pages show a banner naming it, and everything else keeps working."""

from __future__ import annotations

import pytest
from gateway_fakes import FakeRpc, browser_login


@pytest.mark.parametrize("service", ["customers", "search"])
def test_a_down_service_does_not_make_the_gateway_unready(client, rpc: FakeRpc, service):
    rpc.down.add(service)
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["not_ready"] == []
    assert body["services"][service] == "down"
    assert set(body["services"].values()) == {"ok", "down"}


def test_routes_of_a_down_service_answer_503_problem_the_rest_work(client, rpc: FakeRpc, sales1, token_for):
    rpc.down.add("search")
    headers = token_for(sales1)
    searched = client.get("/api/v1/search", params={"q": "科技"}, headers=headers)
    assert searched.status_code == 503
    assert searched.headers["content-type"] == "application/problem+json"
    assert "search service unavailable" in searched.json()["detail"]
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.fixture
def browser(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    return client


def test_pages_show_a_banner_naming_the_down_service(browser, rpc: FakeRpc):
    assert 'data-testid="service-banner"' not in browser.get("/").text
    rpc.down.add("search")
    # The global search box finds the service down ...
    partial = browser.get("/ui/search", params={"q": "科技"}, headers={"HX-Request": "true"})
    assert "search service unavailable" in partial.text
    # ... and the next page says so, while the dashboard itself still works.
    page = browser.get("/")
    assert page.status_code == 200
    assert 'data-testid="service-banner"' in page.text
    assert "搜索服务暂不可用" in page.text
    assert 'data-service="search"' in page.text and 'data-service="customers"' not in page.text
    assert 'data-testid="global-search-input"' in page.text


def test_the_banner_goes_when_the_service_is_back(browser, rpc: FakeRpc):
    rpc.down.add("customers")
    assert browser.get("/readyz").status_code == 200  # a probe (the monitor runs the same one)
    tasks = browser.get("/customers")
    assert tasks.status_code == 503 and "客户服务暂不可用" in tasks.text
    rpc.down.discard("customers")
    browser.get("/readyz")
    page = browser.get("/customers")
    assert page.status_code == 200 and 'data-testid="service-banner"' not in page.text


def test_a_timing_out_service_is_flagged_too(browser, rpc: FakeRpc):
    rpc.slow.add("search")
    browser.get("/search", params={"q": "x"})
    assert "搜索服务暂不可用" in browser.get("/").text


def test_the_login_page_shows_no_banner(client, rpc: FakeRpc):
    rpc.down.add("search")
    client.get("/readyz")
    assert 'data-testid="service-banner"' not in client.get("/login").text


def test_start_up_scripts_still_wait_for_every_service(client, rpc: FakeRpc):
    """`make run`, e2e and bench wait for the whole stack, which /readyz alone no longer says."""
    from gateway.readiness import stack_ready

    everything = client.get("/readyz")
    assert stack_ready(everything.status_code, everything.json())
    rpc.down.add("search")
    one_down = client.get("/readyz")
    assert one_down.status_code == 200 and not stack_ready(one_down.status_code, one_down.json())
    assert not stack_ready(503, everything.json()) and not stack_ready(200, "not json")


def test_a_partial_stack_waits_for_the_services_it_started():
    """The bench runs customers and search only: it waits for those, not for sales."""
    from gateway.readiness import stack_ready

    body = {"status": "ready", "services": {"customers": "ok", "sales": "down", "search": "ok"}}
    assert not stack_ready(200, body)
    assert stack_ready(200, body, needed=("customers", "search"))
    assert not stack_ready(200, body, needed=("customers", "sales"))
    assert not stack_ready(200, body, needed=("planet",))  # a service it does not report is not up
