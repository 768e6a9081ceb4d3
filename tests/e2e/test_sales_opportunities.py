"""The opportunities REST contract (issue 9 §7) through the gateway, on the whole real stack."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from e2e_stack import Stack


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=10
    )


def fields(response: httpx.Response) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return {e["field"] for e in response.json()["errors"]}


def a_customer(api: httpx.Client) -> dict[str, Any]:
    created = api.post("/api/v1/customers", json={"name": f"商机测试{uuid.uuid4().hex[:6]}有限公司"})
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_create_advance_lose_and_list_over_http(stack: Stack):
    with client(stack, "sales1") as sales1, client(stack, "sales2") as sales2:
        customer = a_customer(sales1)
        body = {
            "customer_id": customer["id"],
            "title": "CRM 二期",
            "amount_minor": 12_000_000,
            "currency": "CNY",
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        created = sales1.post("/api/v1/opportunities", json=body, headers=key)
        assert created.status_code == 201, created.text
        opp = created.json()
        assert opp["stage"] == "qualification" and opp["version"] == 1 and opp["id"]
        assert opp["customer_name"] == customer["name"]
        assert created.headers["Location"] == f"/api/v1/opportunities/{opp['id']}"
        assert created.headers["ETag"] == '"1"'
        replay = sales1.post("/api/v1/opportunities", json=body, headers=key)
        assert replay.status_code == 201 and replay.json()["id"] == opp["id"]

        # advancing needs the expected close date (it feeds the forecast)
        refused = sales1.post(f"/api/v1/opportunities/{opp['id']}/stage", json={"stage": "demo"})
        assert refused.status_code == 422 and "expected_close_date" in fields(refused)
        patched = sales1.patch(
            f"/api/v1/opportunities/{opp['id']}",
            json={"expected_close_date": "2027-03-31"},
            headers={"If-Match": '"1"'},
        )
        assert patched.status_code == 200 and patched.headers["ETag"] == '"2"', patched.text
        moved = sales1.post(
            f"/api/v1/opportunities/{opp['id']}/stage",
            json={"stage": "产品演示"},
            headers={"If-Match": '"2"'},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["stage"] == "demo" and moved.json()["version"] == 3
        stale = sales1.post(
            f"/api/v1/opportunities/{opp['id']}/stage",
            json={"stage": "proposal"},
            headers={"If-Match": '"2"'},
        )
        assert stale.status_code == 409

        # lost needs a reason from the managed list
        no_reason = sales1.post(f"/api/v1/opportunities/{opp['id']}/stage", json={"stage": "lost"})
        assert no_reason.status_code == 422 and fields(no_reason) == {"lost_reason"}
        reasons = sales1.get("/api/v1/lost-reasons")
        assert reasons.status_code == 200
        codes = [r["code"] for r in reasons.json()["items"]]
        assert "competitor" in codes
        bad_stage = sales1.post(f"/api/v1/opportunities/{opp['id']}/stage", json={"stage": "signed"})
        assert bad_stage.status_code == 422 and fields(bad_stage) == {"stage"}

        one = sales1.get(f"/api/v1/opportunities/{opp['id']}")
        assert one.status_code == 200 and one.headers["ETag"] == '"3"'
        assert [(h["from_stage"], h["to_stage"]) for h in one.json()["stage_history"]] == [
            (None, "qualification"),
            ("qualification", "demo"),
        ]

        # lists: filters and visibility
        def listed(api: httpx.Client, **params: str) -> list[str]:
            response = api.get("/api/v1/opportunities", params=params)
            assert response.status_code == 200, response.text
            return [o["id"] for o in response.json()["items"]]

        assert listed(sales1, customer_id=customer["id"]) == [opp["id"]]
        assert listed(sales1, customer_id=customer["id"], stage="demo", owner="me") == [opp["id"]]
        assert listed(sales1, customer_id=customer["id"], stage="qualification") == []
        assert listed(sales2, customer_id=customer["id"]) == []
        assert sales2.get(f"/api/v1/opportunities/{opp['id']}").status_code == 404
        bad_filter = sales1.get("/api/v1/opportunities", params={"stage": "nope"})
        assert bad_filter.status_code == 422

        lost = sales1.post(
            f"/api/v1/opportunities/{opp['id']}/stage",
            json={"stage": "lost", "lost_reason": "competitor", "lost_note": "选了别家"},
        )
        assert lost.status_code == 200 and lost.json()["lost_reason"] == "competitor"
        assert listed(sales1, customer_id=customer["id"], status="closed") == [opp["id"]]


def test_a_customer_you_may_not_sell_on_is_refused_and_bad_bodies_name_fields(stack: Stack):
    with client(stack, "sales1") as sales1, client(stack, "sales2") as sales2:
        customer = a_customer(sales1)
        other = sales2.post("/api/v1/opportunities", json={"customer_id": customer["id"], "title": "抢单"})
        assert other.status_code in (403, 404)
        bad = sales1.post(
            "/api/v1/opportunities",
            json={"customer_id": customer["id"], "title": "", "amount_minor": -1, "currency": "rmb"},
        )
        assert bad.status_code == 422 and {"title", "amount_minor", "currency"} <= {
            f.split(".")[-1] for f in fields(bad)
        }
        settings = sales1.get("/api/v1/stage-settings")
        assert settings.status_code == 200
        assert [s["stage"] for s in settings.json()][:2] == ["qualification", "demo"]
        assert sales1.put("/api/v1/stage-settings", json={"probabilities": {"demo": 30}}).status_code == 403


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_the_board_moves_a_card_and_asks_for_what_is_missing(stack: Stack):
    """The UI's forms (what the buttons and the drag-and-drop post), with a browser session."""
    with client(stack, "sales1") as api, httpx.Client(base_url=stack.base_url, timeout=10) as web:
        customer = a_customer(api)
        opp = api.post(
            "/api/v1/opportunities",
            json={"customer_id": customer["id"], "title": "看板测试", "amount_minor": 0},
        ).json()
        web_login(web, "sales1")
        board = web.get("/opportunities?owner=me")
        assert board.status_code == 200 and "看板测试" in board.text
        token = _csrf(board.text)
        move = {"csrf_token": token, "stage": "demo", "version": "1", "next": "/opportunities?owner=me"}
        refused = web.post(f"/opportunities/{opp['id']}/stage", data=move)
        assert refused.status_code == 422
        assert 'data-testid="fill-form"' in refused.text
        assert 'data-testid="fill-close-date"' in refused.text and 'data-testid="fill-amount"' in refused.text
        filled = web.post(
            f"/opportunities/{opp['id']}/stage",
            data={**move, "expected_close_date": "2027-06-30", "amount": "88,000.50"},
        )
        assert filled.status_code == 303, filled.text
        now = api.get(f"/api/v1/opportunities/{opp['id']}").json()
        assert now["stage"] == "demo" and now["amount_minor"] == 8_800_050
        assert now["expected_close_date"] == "2027-06-30"
        lost = web.post(
            f"/opportunities/{opp['id']}/stage",
            data={**move, "stage": "lost", "version": str(now["version"])},
        )
        assert lost.status_code == 422 and 'class="lost-box" open' in lost.text
        page = web.get(f"/opportunities/{opp['id']}")
        assert page.status_code == 200 and 'data-testid="stage-history-row"' in page.text
        tab = web.get(f"/customers/{customer['id']}?tab=opportunities")
        assert tab.status_code == 200 and "看板测试" in tab.text


def web_login(web: httpx.Client, username: str) -> None:
    login = web.post(
        "/login",
        data={
            "username": username,
            "password": "panorama",
            "csrf_token": _csrf(web.get("/login").text),
            "next": "/",
        },
    )
    assert login.status_code == 303


def test_admins_manage_the_funnel_settings_page(stack: Stack):
    code = f"e2e_{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=stack.base_url, timeout=10) as web, client(stack, "sales1") as api:
        web_login(web, "admin")
        page = web.get("/opportunities/settings")
        assert page.status_code == 200 and 'data-testid="prob-demo"' in page.text
        token = _csrf(page.text)
        bad = web.post(
            "/opportunities/settings/probabilities", data={"csrf_token": token, "prob_demo": "150"}
        )
        assert bad.status_code == 422 and "probabilities.demo" in bad.text
        added = web.post(
            "/opportunities/settings/lost-reasons",
            data={"csrf_token": token, "code": code, "label": "端到端 E2E"},
        )
        assert added.status_code == 303
        assert code in [r["code"] for r in api.get("/api/v1/lost-reasons").json()["items"]]
        retired = web.post(
            f"/opportunities/settings/lost-reasons/{code}", data={"csrf_token": token, "active": "0"}
        )
        assert retired.status_code == 303
        assert code not in [r["code"] for r in api.get("/api/v1/lost-reasons").json()["items"]]
        listed = api.get("/api/v1/lost-reasons", params={"include_retired": "true"}).json()["items"]
        [mine] = [r for r in listed if r["code"] == code]
        assert mine["label"] == "端到端 E2E" and mine["active"] is False
