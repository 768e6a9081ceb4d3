"""Who gets the next lead (rules, turns, caps) and when a lead goes back to the pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sales.domain.leads_assignment import (
    Rule,
    claim_cap,
    day_start,
    is_due,
    last_touch,
    pick_member,
    recycle_cutoffs,
)

MEMBERS = ("u-a", "u-b", "u-c")
ALL = set(MEMBERS)


def rr(**kw) -> Rule:
    return Rule(
        **{"id": "r1", "team_id": "t", "strategy": "round_robin", "members": MEMBERS, "daily_cap": 2, **kw}
    )


def deal(rule: Rule, n: int, counts: dict[str, int] | None = None, eligible=ALL) -> list[str | None]:
    """Deal ``n`` leads one after the other, as the handler does (turn and counts move on)."""
    counts = dict(counts or {})
    got: list[str | None] = []
    for _ in range(n):
        pick = pick_member([rule], region=None, grade="B", assigned_today=counts, eligible=eligible)
        if pick is None:
            got.append(None)
            continue
        got.append(pick.user_id)
        counts[pick.user_id] = counts.get(pick.user_id, 0) + 1
        rule = Rule(**{**rule.__dict__, "next_index": pick.next_index})
    return got


def test_round_robin_takes_turns_and_stops_at_the_daily_cap():
    assert deal(rr(), 7) == ["u-a", "u-b", "u-c", "u-a", "u-b", "u-c", None]


def test_the_turn_starts_where_the_rule_left_off():
    assert deal(rr(next_index=2), 3) == ["u-c", "u-a", "u-b"]


def test_a_member_at_their_cap_or_inactive_is_skipped():
    assert deal(rr(), 2, counts={"u-a": 2}) == ["u-b", "u-c"]
    assert deal(rr(), 2, eligible={"u-a", "u-c"}) == ["u-a", "u-c"]


def test_region_and_grade_rules_take_only_their_leads_and_priority_decides():
    east = Rule("r-east", "t", "region", ("u-a",), 5, priority=10, region="华东")
    vip = Rule("r-a", "t", "grade", ("u-b",), 5, priority=20, grade="A")
    rest = Rule("r-rest", "t", "round_robin", ("u-c",), 5, priority=90)
    rules = [rest, vip, east]

    def who(region, grade):
        pick = pick_member(rules, region=region, grade=grade, assigned_today={}, eligible=ALL)
        return pick and pick.user_id

    assert who("华东", "A") == "u-a"  # the region rule comes first (priority 10)
    assert who("华北", "A") == "u-b"
    assert who(None, "C") == "u-c"
    assert who("華東", "C") == "u-a"  # traditional and simplified forms are the same region


def test_a_full_rule_falls_through_to_the_next_and_nobody_left_means_the_pool():
    first = Rule("r1", "t", "round_robin", ("u-a",), 1, priority=1)
    second = Rule("r2", "t", "round_robin", ("u-b",), 1, priority=2)
    pick = pick_member([first, second], region=None, grade="B", assigned_today={"u-a": 1}, eligible=ALL)
    assert pick is not None and (pick.rule_id, pick.user_id) == ("r2", "u-b")
    assert (
        pick_member(
            [first, second], region=None, grade="B", assigned_today={"u-a": 1, "u-b": 1}, eligible=ALL
        )
        is None
    )
    assert pick_member([rr(active=False)], region=None, grade="B", assigned_today={}, eligible=ALL) is None


def test_the_claim_cap_is_the_tightest_rule_naming_the_user_else_the_default():
    rules = [
        rr(daily_cap=8),
        Rule("r2", "t", "grade", ("u-a",), 3, grade="A"),
        rr(id="r3", daily_cap=1, active=False),
    ]
    assert claim_cap(rules, "u-a", 30) == 3
    assert claim_cap(rules, "u-b", 30) == 8
    assert claim_cap(rules, "u-zed", 30) == 30


def test_the_day_starts_at_local_midnight():
    # 2026-12-01 17:30 UTC is already 12-02 01:30 in Shanghai.
    now = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert day_start(now, "Asia/Shanghai") == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert day_start(now, "UTC") == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


DAYS = {"A": 3, "B": 7, "C": 14}


def due(now, grade, assigned_days_ago, followed_days_ago=None, status="assigned") -> bool:
    assigned = now - timedelta(days=assigned_days_ago)
    followed = None if followed_days_ago is None else now - timedelta(days=followed_days_ago)
    return is_due(
        status=status,
        grade=grade,
        assigned_at=assigned,
        last_follow_up_at=followed,
        cutoffs=recycle_cutoffs(now, DAYS),
    )


def test_recycling_is_per_grade_from_the_last_touch():
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert due(now, "A", 4) and not due(now, "A", 2)
    assert not due(now, "B", 4) and due(now, "B", 8)
    assert not due(now, "C", 8) and due(now, "C", 15)
    assert not due(now, "A", 10, followed_days_ago=1)  # a recent follow-up keeps it
    assert not due(now, "A", 10, status="pooled")  # recycled already: not again


def test_a_follow_up_from_before_the_assignment_does_not_count():
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assigned, earlier = now - timedelta(days=1), now - timedelta(days=20)
    assert last_touch(assigned, earlier) == assigned
    assert due(now, "A", 1, followed_days_ago=20) is False
    assert due(now, "A", 5, followed_days_ago=20) is True
