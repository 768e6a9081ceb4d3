"""Demo sales data for ``seed-demo``: issue 9's Monday story ready to try — A科技有限公司's deal with
three quote versions, the third approved by the manager, final and sent — plus a funnel worth
looking at (deals at several stages, a lost one, a won one with its contract, order and renewal)
and leads in the pool. Idempotent: a customer that already has opportunities is left alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from kernel.clock import utcnow
from kernel.errors import PanoramaError

from gateway.auth.records import UserRecord
from gateway.rpc_errors import RpcError
from gateway.services.customers.client import CustomersClient
from gateway.services.sales.client import SalesClient


class Report(Protocol):
    def note(self, line: str) -> None: ...


def _lines(discount: str) -> list[dict[str, Any]]:
    return [
        {"product": "全景CRM 企业版 年度订阅（50用户）", "quantity": 50, "unit_price_minor": 360_000,
         "discount_pct": discount},
        {"product": "实施与数据迁移服务", "quantity": 1, "unit_price_minor": 4_800_000, "discount_pct": "0"},
        {"product": "管理员培训（2天）", "quantity": 2, "unit_price_minor": 600_000, "discount_pct": "0"},
    ]  # fmt: skip


# customer, owner, title, amount (分), stage to reach, days to the expected close
DEALS: list[tuple[str, str, str, int, str, int]] = [
    ("苏州精工机械制造有限公司", "sales1", "生产车间客户管理系统", 38_000_000, "demo", 45),
    ("杭州云帆贸易有限公司", "sales1", "外贸客户跟进平台", 9_600_000, "negotiation", 12),
    ("南京启明教育咨询有限公司", "sales1", "招生线索管理", 5_500_000, "lost", 20),
]
LEADS = [
    {"company_name": "上海星河数据科技有限公司", "contact_name": "何静", "phone": "13800001111",
     "source": "web_form", "region": "上海", "grade": "A", "notes": "官网表单：咨询50人团队版报价"},
    {"company_name": "宁波海港物流有限公司", "contact_name": "马军", "phone": "13900002222",
     "source": "event", "region": "浙江", "grade": "B", "notes": "展会名片，关注移动端"},
    {"company_name": "合肥新材料研究院", "source": "referral", "region": "安徽", "grade": "C"},
]  # fmt: skip


async def customer_id_of(customers: CustomersClient, owner: UserRecord, name: str) -> str | None:
    """The id of the demo customer ``name`` as ``owner`` finds it (None: not seeded)."""
    page = await customers.list_customers(owner.caller, {"q": name}, None, 10)
    return next((c["id"] for c in page.get("items", []) if c.get("name") == name), None)


async def _has_deals(sales: SalesClient, owner: UserRecord, customer_id: str) -> bool:
    page = await sales.list_opportunities(owner.caller, {"customer_id": customer_id}, None, 1)
    return bool(page.get("items"))


async def seed_sales(
    customers: CustomersClient, sales: SalesClient, users: dict[str, UserRecord], report: Report
) -> None:
    try:
        await _seed(customers, sales, users, report)
    except (PanoramaError, RpcError) as exc:  # the demo must not stop `make run`; say why not
        report.note(f"sales demo: skipped the rest ({type(exc).__name__}: {exc})")


async def _seed(
    customers: CustomersClient, sales: SalesClient, users: dict[str, UserRecord], report: Report
) -> None:
    sales1, manager = users["sales1"], users["manager"]
    today = utcnow().date()
    acme = await customer_id_of(customers, sales1, "A科技有限公司")
    if acme is not None and not await _has_deals(sales, sales1, acme):
        deal = await sales.create_opportunity(
            sales1.caller,
            {"customer_id": acme, "title": "全员CRM升级项目", "amount_minor": 23_000_000, "currency": "CNY",
             "expected_close_date": (today + timedelta(days=25)).isoformat()},
        )  # fmt: skip
        for stage in ("demo", "proposal"):
            await sales.change_stage(sales1.caller, deal["id"], stage)
        body = {"currency": "CNY", "valid_until": (today + timedelta(days=30)).isoformat(),
                "notes": "含一年免费升级与7×24小时支持"}  # fmt: skip
        quote = await sales.create_quote(sales1.caller, deal["id"], {**body, "lines": _lines("5")})
        await sales.add_quote_version(sales1.caller, quote["id"], {**body, "lines": _lines("8")})
        await sales.add_quote_version(sales1.caller, quote["id"], {**body, "lines": _lines("15")})
        await sales.submit_quote_version(sales1.caller, quote["id"], 3)  # 15% needs the manager
        await sales.approve_quote_version(manager.caller, quote["id"], 3, "同意，年底前签约")
        await sales.mark_quote_version_final(sales1.caller, quote["id"], 3)
        await sales.mark_quote_version_sent(sales1.caller, quote["id"], 3)
        report.note(f"sales: A科技有限公司 deal with quote {quote['number']} v1–v3 (v3 final, sent)")
    for name, owner_name, title, amount, stage, close_in in DEALS:
        owner = users[owner_name]
        customer_id = await customer_id_of(customers, owner, name)
        if customer_id is None or await _has_deals(sales, owner, customer_id):
            continue
        deal = await sales.create_opportunity(
            owner.caller,
            {"customer_id": customer_id, "title": title, "amount_minor": amount, "currency": "CNY",
             "expected_close_date": (today + timedelta(days=close_in)).isoformat()},
        )  # fmt: skip
        if stage == "lost":
            await sales.change_stage(owner.caller, deal["id"], "lost", "competitor", "选择了本地供应商")
        else:
            for step in ("demo", "proposal", "trial", "negotiation"):
                await sales.change_stage(owner.caller, deal["id"], step)
                if step == stage:
                    break
        report.note(f"sales: {name} deal at {stage}")
    pool = await sales.list_leads(users["sales1"].caller, {"status": "pooled"}, None, 10)
    if not pool.get("items"):
        for lead in LEADS:
            await sales.create_lead(manager.caller, {**lead, "assign": "pool"})
        report.note(f"sales: {len(LEADS)} leads in the pool")


async def seed(rpc: Any, users: dict[str, UserRecord], report: Report) -> None:
    """``ServiceModule.seed``: the sales demo story on the gateway's RPC client."""
    await seed_sales(CustomersClient(rpc), SalesClient(rpc), users, report)
