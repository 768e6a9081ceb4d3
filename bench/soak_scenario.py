"""What a simulated user does: log in, then a weighted mix of actions with think time.

Every user logs in with an account of its own (``bench.soak_seed.create_accounts``) from an
address of its own (``X-Forwarded-For``, as behind the reverse proxy the gateway trusts on
loopback). Roles and their share of the users (``ROLES``): sellers 60 % (over the two demo teams,
each owning a slice of the book), team managers 10 %, finance 10 %, support 15 %, admin 5 %. Each
user first tours every action of its role once (shuffled), so even a short run exercises the
whole mix, then draws actions by weight. Between two actions it thinks for a uniform ``think``
interval (default 2–8 s, mean 5 s: 200 users make ~40 requests/s, what a busy office does, not a
saturation test).

Every request goes through the real REST contract (bearer token from ``POST /api/v1/auth/token``);
the customer 360 page is the HTML page, with a browser session (``/login`` form, CSRF). Writes
that check versions (``PATCH /api/v1/customers/{id}``) use the ETag of a fresh read as If-Match,
on a customer this user created itself, so a 409 is a real error, not a race the scenario made.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bench.soak_stats import Recorder

REQUEST_TIMEOUT = 30.0
SEARCH_WORDS = (
    "科技", "云帆", "雲帆", "keji", "yfkj", "贸易", "物流", "张伟", "李明", "Acme", "有限公司",
    "上海", "杭州", "深圳", "报价", "合同", "13800138000", "a-tech", "苏州精工", "华盛",
)  # fmt: skip
SUGGEST_PREFIXES = ("科", "云", "A科", "杭州", "深圳市", "苏州", "Ac", "华", "上海", "北京")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Book:
    """What the seeded book gives the users to read: customer ids visible to each demo user."""

    visible: dict[str, list[str]]  # username -> customer ids that user may read
    everyone: list[str]  # every seeded customer (finance, support, admin read them all)


@dataclass
class User:
    index: int
    username: str
    role: str
    client: httpx.AsyncClient
    recorder: Recorder
    book: Book
    rng: random.Random
    own_customers: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    serial: int = 0

    def customer(self) -> str:
        # Sellers and managers read their own slice (another team's customer is a 404, rightly);
        # finance, support and admin read the whole book.
        if self.username in self.book.visible:
            pool = self.book.visible[self.username] or self.own_customers or self.book.everyone
        else:
            pool = self.book.everyone
        return self.rng.choice(pool)

    def unique(self) -> str:
        self.serial += 1
        return f"{self.index:03d}{self.serial:04d}{uuid.uuid4().hex[:4]}"

    async def call(
        self,
        route: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> httpx.Response | None:
        """One request on ``route`` ("METHOD /template"); recorded; None when it was an error."""
        method = route.split(" ", 1)[0]
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            self.recorder.error(route, _ms(started), "timeout", f"{path}: {exc!r}")
            return None
        except httpx.HTTPError as exc:
            self.recorder.error(route, _ms(started), "connection", f"{path}: {exc!r}")
            return None
        ms = _ms(started)
        if response.status_code not in expect:
            detail = f"{self.username} {path}: HTTP {response.status_code} {response.text[:300]}"
            self.recorder.error(route, ms, f"HTTP {response.status_code}", detail)
            return None
        self.recorder.ok(route, ms)
        return response


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _today(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _now(hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


# -- actions (each one user step: a page or an API call, sometimes the few calls a screen makes) ----
async def search(u: User) -> None:
    await u.call(
        "GET /api/v1/search", "/api/v1/search", params={"q": u.rng.choice(SEARCH_WORDS), "limit": 20}
    )


async def suggest(u: User) -> None:
    await u.call(
        "GET /api/v1/search/suggest", "/api/v1/search/suggest", params={"q": u.rng.choice(SUGGEST_PREFIXES)}
    )


async def customer_api(u: User) -> None:
    """The customer 360 through the API: the record and its contacts."""
    customer_id = u.customer()
    await u.call("GET /api/v1/customers/{customer_id}", f"/api/v1/customers/{customer_id}")
    await u.call("GET /api/v1/customers/{customer_id}/contacts", f"/api/v1/customers/{customer_id}/contacts")


async def customer_page(u: User) -> None:
    """The customer 360 page (HTML) as the browser gets it."""
    customer_id = u.customer()
    await u.call("GET /customers/{customer_id}", f"/customers/{customer_id}", headers={"Authorization": ""})


async def customer_list(u: User) -> None:
    filters = u.rng.choice(
        (
            {"owner": "me"},
            {"status": "active"},
            {"q": "科技"},
            {"tag": "SaaS"},
            {"status": "prospect", "owner": "me"},
        )
    )
    if u.role not in ("sales", "manager"):
        filters.pop("owner", None)
    await u.call("GET /api/v1/customers", "/api/v1/customers", params={**filters, "limit": 20})


async def timeline(u: User) -> None:
    customer_id = u.customer()
    await u.call(
        "GET /api/v1/customers/{customer_id}/follow-ups", f"/api/v1/customers/{customer_id}/follow-ups"
    )


async def create_customer(u: User) -> str | None:
    body = {
        "name": f"压测{u.unique()}号商贸有限公司",
        "status": "prospect",
        "region": u.rng.choice(("上海", "杭州", "深圳", "苏州")),
        "industry": "批发和零售业",
        "tags": ["soak"],
    }
    response = await u.call("POST /api/v1/customers", "/api/v1/customers", json=body, expect=(201,))
    if response is None:
        return None
    customer_id = str(response.json()["id"])
    u.own_customers.append(customer_id)
    return customer_id


async def _writable_customer(u: User) -> str | None:
    """A customer this user may write to: its own, else one of its book."""
    if u.own_customers and u.rng.random() < 0.5:
        return u.rng.choice(u.own_customers)
    return u.customer()


async def add_contact(u: User) -> None:
    customer_id = await _writable_customer(u)
    body = {
        "name": f"联系人{u.unique()}",
        "title": "采购经理",
        "phones": [f"139{u.rng.randrange(10_000_000, 99_999_999)}"],
        "emails": [f"buyer{u.unique()}@soak.example.cn"],
    }
    route = "POST /api/v1/customers/{customer_id}/contacts"
    await u.call(route, f"/api/v1/customers/{customer_id}/contacts", json=body, expect=(201,))


async def add_follow_up(u: User) -> None:
    customer_id = await _writable_customer(u)
    body = {
        "channel": u.rng.choice(("call", "visit", "wechat", "email")),
        "occurred_at": _now(-1),
        "content": "电话回访：客户确认需求，下周安排产品演示，关注报价和实施周期。",
        "next_follow_up_on": _today(7),
    }
    route = "POST /api/v1/customers/{customer_id}/follow-ups"
    await u.call(route, f"/api/v1/customers/{customer_id}/follow-ups", json=body, expect=(201,))


async def update_customer(u: User) -> None:
    customer_id = u.rng.choice(u.own_customers) if u.own_customers else await create_customer(u)
    if customer_id is None:
        return
    read = await u.call("GET /api/v1/customers/{customer_id}", f"/api/v1/customers/{customer_id}")
    if read is None:
        return
    changes = {"value_tier": u.rng.choice(("normal", "important", "vip")), "status": "active"}
    route = "PATCH /api/v1/customers/{customer_id}"
    headers = {"If-Match": read.headers.get("ETag", "")}
    await u.call(route, f"/api/v1/customers/{customer_id}", json=changes, headers=headers)


async def create_task(u: User) -> None:
    customer_id = await _writable_customer(u)
    body = {
        "title": f"回访客户确认报价 {u.unique()}",
        "due_at": _now(24 * u.rng.randrange(1, 10)),
        "customer_id": customer_id,
    }
    await u.call("POST /api/v1/tasks", "/api/v1/tasks", json=body, expect=(201,))


async def list_tasks(u: User) -> None:
    await u.call("GET /api/v1/tasks", "/api/v1/tasks", params={"assignee": "me", "status": "open"})


async def opportunities(u: User) -> None:
    await u.call("GET /api/v1/opportunities", "/api/v1/opportunities", params={"limit": 20})


async def receivables(u: User) -> None:
    await u.call("GET /api/v1/receivables", "/api/v1/receivables", params={"limit": 20})


async def receivables_summary(u: User) -> None:
    await u.call("GET /api/v1/receivables/summary", "/api/v1/receivables/summary")


async def aging(u: User) -> None:
    await u.call("GET /api/v1/receivables/aging", "/api/v1/receivables/aging")


async def payments(u: User) -> None:
    await u.call("GET /api/v1/payments", "/api/v1/payments", params={"limit": 20})


async def invoices(u: User) -> None:
    await u.call("GET /api/v1/invoices", "/api/v1/invoices", params={"limit": 20})


async def record_payment(u: User) -> None:
    """An on-account receipt (no allocation), with an Idempotency-Key as the UI sends."""
    body = {
        "customer_id": u.rng.choice(u.book.everyone),
        "received_on": _today(),
        "amount_minor": u.rng.randrange(100, 5_000) * 100,
        "currency": "CNY",
        "payer": "压测付款单位",
        "reference": f"SOAK-{u.unique()}",
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    await u.call("POST /api/v1/payments", "/api/v1/payments", json=body, headers=headers, expect=(201,))


async def funnel(u: User) -> None:
    await u.call("GET /api/v1/analytics/funnel", "/api/v1/analytics/funnel")


async def tickets(u: User) -> None:
    response = await u.call("GET /api/v1/tickets", "/api/v1/tickets", params={"limit": 20})
    if response is not None:
        u.tickets += [str(t["id"]) for t in response.json()["items"][:5] if str(t["id"]) not in u.tickets]
        del u.tickets[:-50]


async def ticket_queue(u: User) -> None:
    await u.call("GET /api/v1/tickets/queue", "/api/v1/tickets/queue")


async def ticket(u: User) -> None:
    if not u.tickets:
        await tickets(u)
    if u.tickets:
        ticket_id = u.rng.choice(u.tickets)
        await u.call("GET /api/v1/tickets/{ticket_id}", f"/api/v1/tickets/{ticket_id}")


async def create_ticket(u: User) -> None:
    body = {
        "customer_id": u.rng.choice(u.book.everyone),
        "subject": f"系统登录报错 {u.unique()}",
        "description": "客户来电：登录时提示错误，需要排查。",
        "channel": u.rng.choice(("phone", "email")),
        "category": "fault",
        "priority": u.rng.choice(("P2", "P3", "P4")),
    }
    response = await u.call("POST /api/v1/tickets", "/api/v1/tickets", json=body, expect=(201,))
    if response is not None:
        u.tickets.append(str(response.json()["id"]))


async def comment_ticket(u: User) -> None:
    if not u.tickets:
        await tickets(u)
    if u.tickets:
        ticket_id = u.rng.choice(u.tickets)
        route = "POST /api/v1/tickets/{ticket_id}/comments"
        body = {"body": "已收到，正在排查，稍后回复。"}
        await u.call(route, f"/api/v1/tickets/{ticket_id}/comments", json=body, expect=(201,))


async def users(u: User) -> None:
    await u.call("GET /api/v1/users", "/api/v1/users")


Action = Callable[[User], Awaitable[Any]]
SELLER: dict[Action, int] = {
    search: 20, suggest: 14, customer_api: 8, customer_page: 6, customer_list: 8, timeline: 8,
    create_customer: 3, add_contact: 3, add_follow_up: 5, update_customer: 3, create_task: 2,
    list_tasks: 5, opportunities: 5, receivables: 2,
}  # fmt: skip
# role -> (share of the users, action weights)
ROLES: dict[str, tuple[float, dict[Action, int]]] = {
    "sales": (0.60, SELLER),
    "manager": (0.10, {**SELLER, funnel: 4}),
    "finance": (
        0.10,
        {
            search: 15,
            suggest: 8,
            receivables: 12,
            receivables_summary: 6,
            aging: 4,
            payments: 8,
            invoices: 5,
            customer_list: 4,
            record_payment: 3,
        },
    ),
    "support": (
        0.15,
        {
            search: 15,
            suggest: 10,
            tickets: 12,
            ticket_queue: 8,
            ticket: 10,
            create_ticket: 3,
            comment_ticket: 4,
            customer_list: 4,
        },
    ),
    "admin": (
        0.05,
        {search: 15, suggest: 8, customer_list: 8, customer_api: 6, users: 3, opportunities: 3},
    ),
}
# The first users take one role each (so a handful of users still covers every role), then by share.
ROLE_ORDER = ("sales", "manager", "finance", "support", "admin")


def assign_roles(users: int) -> list[tuple[str, str]]:
    """(role, username) of each of ``users`` simulated users: deterministic, by the shares above.
    Every user has an account of its own (``soak000``, …), as 200 people in an office do: the
    login throttle counts attempts in flight per account, so 120 sellers sharing two demo logins
    would be throttled, and rightly."""
    roles = list(ROLE_ORDER[:users])
    rest = users - len(roles)
    counts = {role: int(rest * share) for role, (share, _) in ROLES.items()}
    counts["sales"] += rest - sum(counts.values())  # rounding goes to the sellers
    for role in ROLE_ORDER:
        roles += [role] * counts[role]
    return [(role, f"soak{index:03d}") for index, role in enumerate(roles)]


def routes_of(action: Action) -> set[str]:
    """The routes an action may call (for the smoke test's 'every route exercised')."""
    return set(ROUTES[action])


ROUTES: dict[Action, tuple[str, ...]] = {
    search: ("GET /api/v1/search",),
    suggest: ("GET /api/v1/search/suggest",),
    customer_api: ("GET /api/v1/customers/{customer_id}", "GET /api/v1/customers/{customer_id}/contacts"),
    customer_page: ("GET /customers/{customer_id}",),
    customer_list: ("GET /api/v1/customers",),
    timeline: ("GET /api/v1/customers/{customer_id}/follow-ups",),
    create_customer: ("POST /api/v1/customers",),
    add_contact: ("POST /api/v1/customers/{customer_id}/contacts",),
    add_follow_up: ("POST /api/v1/customers/{customer_id}/follow-ups",),
    update_customer: ("GET /api/v1/customers/{customer_id}", "PATCH /api/v1/customers/{customer_id}"),
    create_task: ("POST /api/v1/tasks",),
    list_tasks: ("GET /api/v1/tasks",),
    opportunities: ("GET /api/v1/opportunities",),
    receivables: ("GET /api/v1/receivables",),
    receivables_summary: ("GET /api/v1/receivables/summary",),
    aging: ("GET /api/v1/receivables/aging",),
    payments: ("GET /api/v1/payments",),
    invoices: ("GET /api/v1/invoices",),
    record_payment: ("POST /api/v1/payments",),
    funnel: ("GET /api/v1/analytics/funnel",),
    tickets: ("GET /api/v1/tickets",),
    ticket_queue: ("GET /api/v1/tickets/queue",),
    ticket: ("GET /api/v1/tickets/{ticket_id}",),
    create_ticket: ("POST /api/v1/tickets",),
    comment_ticket: ("POST /api/v1/tickets/{ticket_id}/comments",),
    users: ("GET /api/v1/users",),
}
LOGIN_ROUTES = ("POST /api/v1/auth/token", "GET /login", "POST /login")


def mix_routes(roles: set[str]) -> set[str]:
    """Every route the given roles' mixes call, logins included."""
    found = set(LOGIN_ROUTES)
    for role in roles:
        for action in ROLES[role][1]:
            found |= routes_of(action)
    return found


async def login(u: User, password: str) -> bool:
    """A bearer token for the API and, for roles that open the 360 page, a browser session."""
    response = await u.call(
        "POST /api/v1/auth/token", "/api/v1/auth/token", data={"username": u.username, "password": password}
    )
    if response is None:
        return False
    u.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    if customer_page not in ROLES[u.role][1]:
        return True
    page = await u.call("GET /login", "/login", headers={"Authorization": ""})
    match = CSRF.search(page.text) if page is not None else None
    if match is None:
        return False
    form = {"username": u.username, "password": password, "csrf_token": match.group(1), "next": "/"}
    done = await u.call("POST /login", "/login", data=form, headers={"Authorization": ""}, expect=(303,))
    return done is not None


async def run_user(u: User, password: str, until: float, think: tuple[float, float]) -> None:
    """Log in, tour every action once, then weighted draws, each after a think pause, until ``until``."""
    if not await login(u, password):
        return
    weights = ROLES[u.role][1]
    tour = list(weights)
    u.rng.shuffle(tour)
    actions, chances = list(weights), list(weights.values())
    while True:
        await asyncio.sleep(u.rng.uniform(*think))
        if time.monotonic() >= until:
            return
        action = tour.pop() if tour else u.rng.choices(actions, chances)[0]
        await action(u)
