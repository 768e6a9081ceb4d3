"""Display labels (Chinese first) of the customers service's codes and fields, for the web UI."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "status": {"prospect": "潜在", "active": "活跃", "churned": "流失"},
    "tier": {"normal": "普通", "important": "重要", "vip": "VIP"},
    "size": {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型", "enterprise": "集团"},
    "contact_role": {
        "decision_maker": "决策人",
        "champion": "内部支持者",
        "influencer": "影响者",
        "user": "使用者",
        "gatekeeper": "把关人",
        "other": "其他",
    },
    "channel": {
        "call": "电话",
        "visit": "拜访",
        "email": "邮件",
        "wechat": "微信",
        "meeting": "会议",
        "other": "其他",
    },
    "task_status": {"open": "待办", "done": "已完成", "cancelled": "已取消"},
    "field": {
        "name": "名称",
        "short_name": "简称",
        "tax_id": "税号",
        "industry": "行业",
        "size": "规模",
        "region": "地区",
        "address": "地址",
        "source": "来源",
        "status": "状态",
        "value_tier": "价值等级",
        "tags": "标签",
        "owner_id": "负责人",
        "team_id": "团队",
        "title": "职位/标题",
        "role": "角色",
        "phones": "电话",
        "emails": "邮箱",
        "wechat_id": "微信",
        "is_primary": "主要联系人",
        "channel": "方式",
        "occurred_at": "时间",
        "content": "内容",
        "contact_id": "联系人",
        "next_follow_up_on": "下次跟进",
        "due_at": "截止时间",
        "assignee_id": "负责人",
    },
}

# Decision chain order on the customer page: who signs first, who merely uses it last.
CONTACT_ROLE_ORDER = ("decision_maker", "champion", "influencer", "user", "gatekeeper", "other")
