"""Chinese-first display labels (English kept where natural): the gateway's own codes here, each
service package's added when it is registered (``add_labels``)."""

from __future__ import annotations

from gateway.kinds import SEARCH_KINDS

LABELS: dict[str, dict[str, str]] = {
    "kind": {name: kind.label for name, kind in SEARCH_KINDS.items()},
    # What a search snippet shows when the match is not in the name; free text ("body") needs no label.
    "match_field": {"phones": "电话", "emails": "邮箱", "tax_id": "税号", "alt_names": "简称", "body": ""},
    "role": {"admin": "管理员", "manager": "经理", "sales": "销售", "finance": "财务", "support": "客服"},
    "action": {"created": "创建", "updated": "修改", "deleted": "删除", "transferred": "转移"},
    # Audit rows name the aggregate, which is the record kind.
    "entity": {name: kind.label for name, kind in SEARCH_KINDS.items()},
    "field": {
        "username": "用户名",
        "password": "密码",
    },
}


def add_labels(groups: dict[str, dict[str, str]]) -> None:
    """A service package's labels (its codes and fields) join the UI's; the gateway's own win."""
    for group, codes in groups.items():
        LABELS[group] = {**codes, **LABELS.get(group, {})}


def label(group: str, code: object) -> str:
    if code is None or code == "":
        return "—"
    return LABELS.get(group, {}).get(str(code), str(code))
