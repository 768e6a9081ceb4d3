"""The funnel through the gateway and the real sales process (RPC wire: decimals as strings)."""

from __future__ import annotations

import httpx
from e2e_stack import Stack

URL = "/api/v1/analytics/funnel"


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=10
    )


def test_the_funnel_answers_each_seller_over_the_wire(stack: Stack):
    with (
        client(stack, "admin") as admin,
        client(stack, "sales1") as sales1,
        client(stack, "manager") as manager,
    ):
        everything = admin.get(URL)
        assert everything.status_code == 200, everything.text
        body = everything.json()
        assert [s["stage"] for s in body["stages"]] == [
            "qualification",
            "demo",
            "proposal",
            "trial",
            "negotiation",
            "won",
            "lost",
        ]
        assert len(body["conversion"]) == 5 and body["currency"] == "CNY"
        assert body["win_rate"] is None or isinstance(body["win_rate"], str)

        mine = sales1.get(URL, params={"owner": "me", "from": "2026-01-01", "to": "2026-12-31"})
        assert mine.status_code == 200, mine.text
        assert mine.json()["date_from"] == "2026-01-01"

        refused = sales1.get(URL, params={"team": "someone-elses-team"})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["field"] == "team"
        assert manager.get(URL, params={"owner": "me"}).status_code == 200

        backwards = sales1.get(URL, params={"from": "2026-12-02", "to": "2026-12-01"})
        assert backwards.status_code == 422
        assert backwards.json()["errors"][0]["field"] == "from"
