"""Demo service-desk data for ``seed-demo``: issue 10's "when the customer calls again, support
immediately sees every earlier issue" — A科技有限公司 has a fault ticket worked to resolved (its
satisfaction survey link waits on the ticket page), 杭州云帆贸易 an open P1 whose SLA clock runs in
the queue, 南京启明教育 a complaint in progress (its risk raised). Idempotent: a customer that
already has tickets is left alone."""

from __future__ import annotations

from typing import Any

from kernel.errors import PanoramaError

from gateway.auth.records import UserRecord
from gateway.rpc_errors import RpcError
from gateway.services.customers.client import CustomersClient
from gateway.services.sales.seed import Report, customer_id_of
from gateway.services.service_desk.client import ServiceDeskClient

# customer, ticket, comments (external replies), statuses to walk through
TICKETS: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    ("A科技有限公司",
     {"subject": "报价单PDF下载后中文显示为方块", "channel": "phone", "category": "fault", "priority": "P2",
      "description": "客户采购部来电：上周五收到的报价单PDF在其电脑上中文显示为方块，需重新发送。"},
     ["已复现：客户电脑缺少中文字体，已改为嵌入字体的PDF并重新发送。", "客户确认可以正常显示。"],
     ["in_progress", "resolved"]),
    ("杭州云帆贸易有限公司",
     {"subject": "全员无法登录系统", "channel": "wechat", "category": "fault", "priority": "P1",
      "description": "客户微信群反馈：今天上午起所有销售登录时报错，影响外贸订单跟进。"},
     [], []),
    ("南京启明教育咨询有限公司",
     {"subject": "实施进度延误投诉", "channel": "email", "category": "complaint", "priority": "P2",
      "description": "客户邮件投诉：数据迁移比约定晚了两周，要求说明原因和补救计划。"},
     ["已与实施经理确认原因，明天上午给出补救计划。"], ["in_progress"]),
]  # fmt: skip


async def seed(rpc: Any, users: dict[str, UserRecord], report: Report) -> None:
    """``ServiceModule.seed``: the service-desk demo story on the gateway's RPC client."""
    try:
        await _seed(CustomersClient(rpc), ServiceDeskClient(rpc), users, report)
    except (PanoramaError, RpcError) as exc:  # the demo must not stop `make run`; say why not
        report.note(f"service desk demo: skipped the rest ({type(exc).__name__}: {exc})")


async def _seed(
    customers: CustomersClient, desk: ServiceDeskClient, users: dict[str, UserRecord], report: Report
) -> None:
    agent = users["support"].caller
    for name, ticket, replies, statuses in TICKETS:
        customer_id = await customer_id_of(customers, users["admin"], name)
        if (
            customer_id is None
            or (await desk.list_tickets(agent, {"customer_id": customer_id}, None, 1))["items"]
        ):
            continue
        made = await desk.create_ticket(agent, {**ticket, "customer_id": customer_id})
        for reply in replies:
            await desk.add_comment(agent, made["id"], {"body": reply, "visibility": "external"})
        for status in statuses:
            await desk.change_status(agent, made["id"], status, None)
        report.note(f"service desk: {name} ticket {made['number']} ({statuses[-1] if statuses else 'new'})")
