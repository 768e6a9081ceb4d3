"""Demo data: two sales teams, one user per role, and a small Chinese SME book of business.

Idempotent: teams and users are matched by name, customers by name within their owner's book;
whatever exists is left alone (including its contacts, follow-ups and tasks).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kernel.clock import isoformat, utcnow
from kernel.errors import Conflict
from kernel.registry import import_object

from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord
from gateway.auth.replication import UserReplicator
from gateway.services.customers.client import CustomersClient
from gateway.services.installed import INSTALLED

log = logging.getLogger(__name__)

TEAM_EAST = "华东销售一组"
TEAM_SOUTH = "华南销售二组"

# username, display name, roles, team
DEMO_USERS: list[tuple[str, str, list[str], str | None]] = [
    ("admin", "系统管理员", ["admin"], None),
    ("manager", "王经理", ["manager"], TEAM_EAST),
    ("sales1", "李晓明", ["sales"], TEAM_EAST),
    ("sales2", "陈思远", ["sales"], TEAM_SOUTH),
    ("finance", "赵会计", ["finance"], None),
    ("finmgr", "钱财务经理", ["finance", "manager"], None),  # approves bad-debt write-offs
    ("support", "孙客服", ["support"], None),
]

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc(prefix17: str) -> str:
    """A unified social credit code with a correct GB 32100-2015 check character."""
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(prefix17, _USCC_WEIGHTS, strict=True))
    return prefix17 + _USCC_ALPHABET[(31 - total % 31) % 31]


@dataclass
class DemoCustomer:
    owner: str
    data: dict[str, Any]
    contacts: list[dict[str, Any]] = field(default_factory=list)
    # (days ago, channel, contact name or None, content, next follow-up in days or None)
    follow_ups: list[tuple[int, str, str | None, str, int | None]] = field(default_factory=list)
    # (title, due in days - negative is overdue)
    tasks: list[tuple[str, int]] = field(default_factory=list)


def demo_book() -> list[DemoCustomer]:
    return [
        DemoCustomer(
            owner="sales1",
            data={
                "name": "A科技有限公司",
                "short_name": "A科技",
                "tax_id": uscc("91310115MA1K4A2B3"),
                "industry": "软件和信息技术服务",
                "size": "small",
                "region": "上海",
                "address": "上海市浦东新区张江高科技园区碧波路690号",
                "source": "行业展会",
                "status": "active",
                "value_tier": "important",
                "tags": ["SaaS", "华东重点"],
            },
            contacts=[
                {
                    "name": "张伟",
                    "title": "总经理",
                    "role": "decision_maker",
                    "phones": ["13800138000"],
                    "emails": ["zhangwei@a-tech.example.cn"],
                    "wechat_id": "zhangwei_atech",
                    "is_primary": True,
                },
                {
                    "name": "陈静",
                    "title": "运营主管",
                    "role": "champion",
                    "phones": ["13912345678"],
                    "emails": ["chenjing@a-tech.example.cn"],
                },
                {
                    "name": "李娜",
                    "title": "技术总监",
                    "role": "influencer",
                    "phones": ["13700001111"],
                    "emails": ["lina@a-tech.example.cn"],
                },
                {"name": "刘洋", "title": "IT工程师", "role": "user", "phones": ["021-58881234"]},
                {
                    "name": "王强",
                    "title": "采购经理",
                    "role": "gatekeeper",
                    "phones": ["13655556666"],
                    "emails": ["wangqiang@a-tech.example.cn"],
                },
            ],
            follow_ups=[
                (
                    30,
                    "visit",
                    "张伟",
                    "首次上门拜访，介绍全景CRM方案。张总对销售过程管理和客户转交很感兴趣。",
                    None,
                ),
                (
                    21,
                    "call",
                    "李娜",
                    "技术交流：讨论与现有用友U8 ERP的接口方案，李总监关心数据同步频率。",
                    None,
                ),
                (
                    14,
                    "wechat",
                    "王强",
                    "发送报价单初稿，采购询问年付折扣和发票类型（增值税专用发票）。",
                    None,
                ),
                (
                    7,
                    "meeting",
                    "陈静",
                    "方案演示，决策层参加；运营部希望先在华东区试点。下一步准备正式报价。",
                    None,
                ),
                (2, "call", "张伟", "张总确认预算已批，月底前有签约意向，需要合同草案。", 5),
            ],
            tasks=[("发送正式报价单", 2), ("准备合同草案给法务审阅", 7), ("回访李娜确认接口文档", -1)],
        ),
        DemoCustomer(
            owner="sales1",
            data={
                "name": "苏州精工机械制造有限公司",
                "short_name": "苏州精工",
                "tax_id": uscc("91320505MA1MX8C4D"),
                "industry": "通用设备制造",
                "size": "medium",
                "region": "江苏苏州",
                "address": "苏州市高新区珠江路88号",
                "source": "老客户介绍",
                "status": "active",
                "value_tier": "vip",
                "tags": ["制造业", "续约"],
            },
            contacts=[
                {
                    "name": "周建国",
                    "title": "董事长",
                    "role": "decision_maker",
                    "phones": ["13862001234"],
                    "is_primary": True,
                },
                {
                    "name": "吴芳",
                    "title": "销售部经理",
                    "role": "champion",
                    "emails": ["wufang@sz-jinggong.example.cn"],
                },
            ],
            follow_ups=[
                (45, "visit", "周建国", "年度回访，设备销售团队扩编到40人，需要增加账号。", None),
                (10, "email", "吴芳", "发送续约方案和新增20个账号的报价。", 10),
            ],
            tasks=[("跟进续约合同盖章", 10)],
        ),
        DemoCustomer(
            owner="sales1",
            data={
                "name": "杭州云帆贸易有限公司",
                "industry": "批发和零售",
                "size": "micro",
                "region": "浙江杭州",
                "source": "官网咨询",
                "status": "prospect",
                "tags": ["跨境电商"],
            },
            contacts=[
                {
                    "name": "郑小云",
                    "title": "创始人",
                    "role": "decision_maker",
                    "phones": ["13588886666"],
                    "wechat_id": "yunfan_zheng",
                    "is_primary": True,
                }
            ],
            follow_ups=[(3, "wechat", "郑小云", "官网留资后微信沟通，需求：客户跟进提醒和移动端使用。", 4)],
            tasks=[("预约线上演示", 4)],
        ),
        DemoCustomer(
            owner="sales1",
            data={
                "name": "南京启明教育咨询有限公司",
                "industry": "教育咨询",
                "size": "small",
                "region": "江苏南京",
                "status": "churned",
                "source": "电话营销",
                "tags": ["教育"],
            },
            follow_ups=[(90, "call", None, "客户表示预算冻结，暂停合作，半年后再联系。", None)],
        ),
        DemoCustomer(
            owner="sales2",
            data={
                "name": "深圳海纳电子有限公司",
                "short_name": "海纳电子",
                "tax_id": uscc("91440300MA5G7H9J2"),
                "industry": "电子元器件制造",
                "size": "medium",
                "region": "广东深圳",
                "address": "深圳市南山区科技园南区高新南七道",
                "source": "行业展会",
                "status": "active",
                "value_tier": "important",
                "tags": ["电子", "华南重点"],
            },
            contacts=[
                {
                    "name": "黄磊",
                    "title": "CEO",
                    "role": "decision_maker",
                    "phones": ["13923456789"],
                    "emails": ["huanglei@haina.example.cn"],
                    "is_primary": True,
                },
                {
                    "name": "周敏",
                    "title": "财务经理",
                    "role": "influencer",
                    "phones": ["0755-26661234"],
                    "emails": ["zhoumin@haina.example.cn"],
                },
                {"name": "林涛", "title": "销售总监", "role": "champion", "wechat_id": "lintao_hn"},
            ],
            follow_ups=[
                (12, "visit", "黄磊", "拜访黄总，了解到销售团队分布在深圳和东莞，需要按区域管理客户。", None),
                (5, "call", "周敏", "周经理确认付款方式为季度付款，需要开具增值税专用发票。", 3),
            ],
            tasks=[("发送区域管理方案", 3), ("确认开票信息", 6)],
        ),
        DemoCustomer(
            owner="sales2",
            data={
                "name": "广州悦享餐饮管理有限公司",
                "industry": "餐饮",
                "size": "small",
                "region": "广东广州",
                "source": "合作伙伴推荐",
                "status": "prospect",
                "tags": ["连锁餐饮"],
            },
            contacts=[
                {
                    "name": "何静怡",
                    "title": "运营总监",
                    "role": "decision_maker",
                    "phones": ["13711223344"],
                    "is_primary": True,
                }
            ],
            follow_ups=[(1, "meeting", "何静怡", "初次会议：12家门店的会员与团餐客户管理需求。", 7)],
        ),
        DemoCustomer(
            owner="sales2",
            data={
                "name": "东莞恒泰物流有限公司",
                "industry": "交通运输和仓储",
                "size": "medium",
                "region": "广东东莞",
                "source": "老客户介绍",
                "status": "active",
                "tags": ["物流"],
            },
            contacts=[
                {"name": "梁志强", "title": "副总经理", "role": "decision_maker", "phones": ["13826887766"]}
            ],
            tasks=[("季度业务回顾", 14)],
        ),
    ]


@dataclass
class SeedReport:
    teams_created: int = 0
    users_created: int = 0
    customers_created: int = 0
    customers_skipped: int = 0
    lines: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.lines.append(line)
        log.info("%s", line)


def seed_directory(directory: Directory, password: str, report: SeedReport) -> dict[str, UserRecord]:
    teams = {}
    for name in (TEAM_EAST, TEAM_SOUTH):
        team, created = directory.ensure_team(name)
        teams[name] = team
        report.teams_created += int(created)
        report.note(f"team {name}: {'created' if created else 'exists'}")
    users = {}
    for username, display_name, roles, team_name in DEMO_USERS:
        user, created = directory.ensure_user(
            username=username,
            password=password,
            display_name=display_name,
            roles=roles,
            team_id=teams[team_name].id if team_name else None,
        )
        users[username] = user
        report.users_created += int(created)
        report.note(f"user {username} ({', '.join(roles)}): {'created' if created else 'exists'}")
    return users


async def seed_book(customers: CustomersClient, users: dict[str, UserRecord], report: SeedReport) -> None:
    now = utcnow()
    for demo in demo_book():
        owner = users[demo.owner]
        caller = owner.caller
        name = demo.data["name"]
        existing = await customers.list_customers(caller, {"q": name, "owner_id": owner.id}, None, 50)
        if any(c.get("name") == name for c in existing.get("items", [])):
            report.customers_skipped += 1
            report.note(f"customer {name}: exists")
            continue
        try:
            # force: skip the "looks like a duplicate" warning; a hard clash (same tax id under
            # another owner, e.g. the gateway database was reset) still refuses, and we skip it.
            customer = await customers.create_customer(caller, demo.data, force=True)
        except Conflict as exc:
            report.customers_skipped += 1
            report.note(f"customer {name}: skipped ({exc.detail})")
            continue
        contact_ids: dict[str, str] = {}
        for contact in demo.contacts:
            created = await customers.create_child("contact", caller, customer["id"], contact)
            contact_ids[contact["name"]] = created["id"]
        for days_ago, channel, contact_name, content, next_in in demo.follow_ups:
            data: dict[str, Any] = {
                "channel": channel,
                "content": content,
                "occurred_at": isoformat(now - timedelta(days=days_ago, hours=2)),
            }
            if contact_name:
                data["contact_id"] = contact_ids[contact_name]
            if next_in is not None:
                data["next_follow_up_on"] = (now + timedelta(days=next_in)).date().isoformat()
            await customers.create_child("follow_up", caller, customer["id"], data)
        for title, due_in in demo.tasks:
            due = (now + timedelta(days=due_in)).replace(
                hour=2, minute=0, second=0, microsecond=0
            )  # 10:00 +08
            await customers.create_child(
                "task",
                caller,
                customer["id"],
                {"title": title, "due_at": isoformat(due), "assignee_id": owner.id},
            )
        report.customers_created += 1
        report.note(
            f"customer {name} for {demo.owner}: created with {len(demo.contacts)} contacts, "
            f"{len(demo.follow_ups)} follow-ups, {len(demo.tasks)} tasks"
        )


async def seed_demo(
    directory: Directory,
    replicator: UserReplicator,
    customers: CustomersClient,
    password: str,
    rpc: Any = None,
) -> SeedReport:
    report = SeedReport()
    users = seed_directory(directory, password, report)
    # Owners must be in the customers service's directory replica before they can own anything.
    count = await replicator.sync_all()
    report.note(f"replicated {count} users to customers")
    await seed_book(customers, users, report)
    if rpc is not None:
        # Each service package seeds its own demo story (ServiceModule.seed), in registry order:
        # sales' orders exist before finance looks for their receivables.
        for module in INSTALLED:
            if module.seed:
                await import_object(module.seed)(rpc, users, report)
    return report
