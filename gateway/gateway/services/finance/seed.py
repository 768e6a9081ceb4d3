"""Demo finance data for ``seed-demo``: issue 10's story ready to try — 苏州精工机械制造有限公司
signs for ¥380,000 in three instalments: the first is 75 days past due (the overdue timer flags
it, its seller and their manager are told, the customer's credit risk rises), the second was paid
by a recorded payment (回款), the third falls due in two months. Idempotent: a customer that
already has orders is left alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from kernel.clock import utcnow
from kernel.errors import PanoramaError

from gateway.auth.records import UserRecord
from gateway.rpc_errors import RpcError
from gateway.services.customers.client import CustomersClient
from gateway.services.finance.client import FinanceClient
from gateway.services.sales.client import SalesClient
from gateway.services.sales.seed import Report, customer_id_of

CUSTOMER = "苏州精工机械制造有限公司"
# (days from today, amount in 分)
PLAN = ((-75, 12_000_000), (-10, 12_000_000), (60, 14_000_000))
RECEIVABLES_WAIT_SECONDS = 30.0


async def seed(rpc: Any, users: dict[str, UserRecord], report: Report) -> None:
    """``ServiceModule.seed``: the finance demo story on the gateway's RPC client."""
    try:
        await _seed(CustomersClient(rpc), SalesClient(rpc), FinanceClient(rpc), users, report)
    except (PanoramaError, RpcError, TimeoutError) as exc:  # the demo must not stop `make run`
        report.note(f"finance demo: skipped the rest ({type(exc).__name__}: {exc})")


async def _seed(
    customers: CustomersClient,
    sales: SalesClient,
    finance: FinanceClient,
    users: dict[str, UserRecord],
    report: Report,
) -> None:
    seller, clerk = users["sales1"].caller, users["finance"].caller
    customer_id = await customer_id_of(customers, users["sales1"], CUSTOMER)
    if (
        customer_id is None
        or (await sales.list_orders(seller, {"customer_id": customer_id}, None, 1))["items"]
    ):
        return
    today = utcnow().date()
    total = sum(amount for _, amount in PLAN)
    deal = await sales.create_opportunity(
        seller,
        {"customer_id": customer_id, "title": "售后服务管理系统", "amount_minor": total, "currency": "CNY",
         "expected_close_date": (today + timedelta(days=5)).isoformat()},
    )  # fmt: skip
    line = {
        "product": "全景CRM 制造业版（含实施）",
        "quantity": 1,
        "unit_price_minor": total,
        "discount_pct": "0",
    }
    body = {"currency": "CNY", "valid_until": (today + timedelta(days=30)).isoformat(), "lines": [line]}
    quote = await sales.create_quote(seller, deal["id"], body)
    await sales.submit_quote_version(seller, quote["id"], 1)  # no discount: approved at once
    await sales.mark_quote_version_final(seller, quote["id"], 1)
    contract = await sales.create_contract(seller, quote["id"], 1, None)
    if contract.get("special_price"):
        await sales.approve_contract(users["manager"].caller, contract["id"], None, None)
    await sales.sign_contract(seller, contract["id"], None)
    plan = [{"due_date": (today + timedelta(days=d)).isoformat(), "amount_minor": a} for d, a in PLAN]
    order = await sales.place_order(seller, {"contract_id": contract["id"], "instalments": plan})
    report.note(f"finance: {CUSTOMER} order {order['number']} with {len(PLAN)} instalments (one overdue)")

    receivables = await _receivables_of(finance, clerk, order["id"], len(PLAN))
    paid = next(r for r in receivables if r["seq"] == 2)
    payment = await finance.record_payment(
        clerk,
        {"customer_id": customer_id, "received_on": (today - timedelta(days=8)).isoformat(),
         "amount_minor": paid["amount_minor"], "currency": "CNY", "payer": CUSTOMER,
         "reference": order["number"], "allocations": [{"receivable_id": paid["id"],
                                                         "amount_minor": paid["amount_minor"]}]},
    )  # fmt: skip
    report.note(f"finance: payment {payment['number']} paid instalment 2 of {order['number']}")


async def _receivables_of(
    finance: FinanceClient, clerk: Any, order_id: str, count: int
) -> list[dict[str, Any]]:
    """The order's receivables, once finance made them from ``order.placed`` (events are async)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECEIVABLES_WAIT_SECONDS
    while True:
        page = await finance.list_receivables(clerk, {"order_id": order_id}, None, 50)
        if len(page["items"]) >= count:
            return list(page["items"])
        if loop.time() > deadline:
            raise TimeoutError(f"no receivables for order {order_id} after {RECEIVABLES_WAIT_SECONDS:.0f} s")
        await asyncio.sleep(0.5)
