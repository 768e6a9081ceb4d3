"""Deterministic generator of realistic customers, contacts and follow-ups as customers-service events.

Everything comes from one seeded ``random.Random``: the same ``(customers, seed)`` gives byte-identical
envelopes, ids and timestamps included (``make_event`` builds each envelope; its random id and
wall-clock time are then replaced by seeded ones). Names look like real registrations:
城市 + 字号 + 行业 + 有限公司 (杭州云帆科技有限公司, 深圳市华盛贸易有限公司, … 股份有限公司/集团),
about 15 % English (Acme Trading Co., Ltd.), about 5 % Traditional script (台北雲帆科技股份有限公司).
Record 0 is always the fixed customer "A科技有限公司".
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import opencc
from customers import contracts as c
from kernel.clock import isoformat
from kernel.envelope import Envelope, make_event
from pypinyin import lazy_pinyin

from bench import vocab as v

DEFAULT_SEED = 20261123
FIXED_NAME = "A科技有限公司"
FIXED_PHONE = "13800138000"
FIXED_EMAIL = "liming@a-tech.cn"
ENGLISH_SHARE = 0.15
TRADITIONAL_SHARE = 0.05
POPULAR_SHARE = 0.08  # popular trade names repeat across cities (云帆, 华盛, …)
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
_S2T = opencc.OpenCC("s2t")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_REGION_CODES = ("110105", "310115", "440106", "440305", "330106", "320102", "510107", "420106", "330212")
_CHANNEL_WEIGHTS = (
    ("call", 35),
    ("visit", 55),
    ("wechat", 75),
    ("email", 85),
    ("meeting", 97),
    ("other", 100),
)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    team_id: str
    roles: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "team_id": self.team_id,
            "roles": list(self.roles),
            "version": 1,
        }


TEAMS = ("team-east", "team-south", "team-north", "team-west")


def sales_users() -> list[User]:
    """20 users in 4 teams: one manager and four sales people each."""
    users: list[User] = []
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    givens = "伟芳敏静磊军洋勇杰涛明超华平刚英辉鹏宇晨"
    for t, team in enumerate(TEAMS):
        for k in range(5):
            n = t * 5 + k + 1
            users.append(
                User(
                    id=f"bench-user-{n:02d}",
                    username=f"sales{n:02d}",
                    display_name=surnames[n - 1] + givens[n - 1],
                    team_id=team,
                    roles=("manager",) if k == 0 else ("sales",),
                )
            )
    return users


@dataclass
class Dataset:
    seed: int
    users: list[User]
    customers: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    # Deterministic envelope id and time per aggregate id (so events() is reproducible).
    _meta: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return len(self.customers) + len(self.contacts) + len(self.follow_ups)

    def events(self) -> Iterator[Envelope]:
        """``customer.created`` then ``contact.created`` / ``follow_up.created``, customer by customer."""
        contacts = _by_customer(self.contacts)
        follow_ups = _by_customer(self.follow_ups)
        for customer in self.customers:
            yield self._event(c.CUSTOMER_CREATED, "customer", customer, customer["created_by"])
            for contact in contacts.get(customer["id"], ()):
                yield self._event(c.CONTACT_CREATED, "contact", contact, customer["owner_id"])
            for note in follow_ups.get(customer["id"], ()):
                yield self._event(c.FOLLOW_UP_CREATED, "follow_up", note, note["author_id"])

    def _event(self, event_type: str, kind: str, data: dict[str, Any], actor: str) -> Envelope:
        event = make_event(
            type=event_type,
            source=c.SERVICE,
            aggregate_type=c.AGGREGATE_TYPES[kind],
            aggregate_id=data["id"],
            version=data["version"],
            actor_id=actor,
            data=data,
            customer_id=data["id"] if kind == "customer" else data["customer_id"],
        )
        event_id, occurred_at = self._meta[data["id"]]
        return event.model_copy(update={"id": event_id, "occurred_at": occurred_at})


def _by_customer(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["customer_id"], []).append(row)
    return grouped


# ---------------------------------------------------------------------------------------- ids
def time_id(rng: random.Random, moment: datetime) -> str:
    """A UUIDv7 (time-ordered, like kernel.ids.new_id) whose random bits come from ``rng``."""
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def uscc(rng: random.Random) -> str:
    """A unified social credit code with a correct GB 32100-2015 check character."""
    body = "91" + rng.choice(_REGION_CODES) + "".join(rng.choice(_USCC_ALPHABET) for _ in range(9))
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str | None:
    roll = rng.randrange(100)
    for value, cumulative in table:
        if roll < cumulative:
            return value
    return None


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    return str(_S2T.convert(text))


@lru_cache(maxsize=65536)
def pinyin_of(text: str) -> list[str]:
    return [p for p in lazy_pinyin(text) if p.isascii() and p.isalnum()]


# -------------------------------------------------------------------------------------- names
@dataclass(frozen=True)
class Company:
    name: str
    short_name: str | None
    industry: str
    region: str
    domain: str
    script: str  # "simplified" | "traditional" | "english"


def trade_name(rng: random.Random) -> str:
    if rng.random() < POPULAR_SHARE:
        return rng.choice(v.POPULAR_TRADE_NAMES)
    first = rng.choice(v.TRADE_FIRST)
    second = rng.choice(v.TRADE_SECOND)
    while second == first:
        second = rng.choice(v.TRADE_SECOND)
    return first + second


def chinese_company(rng: random.Random) -> Company:
    city = rng.choice(v.CITIES)
    trade = trade_name(rng)
    industry, industry_en = rng.choice(v.INDUSTRIES)
    suffix = _weighted(rng, v.CN_SUFFIXES) or "有限公司"
    if suffix == "有限公司分公司":
        suffix = f"有限公司{rng.choice(v.CITIES).removesuffix('市')}分公司"
    domain = "".join(pinyin_of(trade)) + rng.choice(("", "-tech", "group", "-cn")) + rng.choice(v.TLDS)
    return Company(
        name=f"{city}{trade}{industry}{suffix}",
        short_name=trade + industry[:2] if rng.random() < 0.5 else None,
        industry=industry_en,
        region=city.removesuffix("市"),
        domain=domain,
        script="simplified",
    )


def traditional_company(rng: random.Random) -> Company:
    city = rng.choice(v.TRADITIONAL_CITIES)
    trade = trade_name(rng)
    industry, industry_en = rng.choice(v.INDUSTRIES)
    name = to_traditional(f"{trade}{industry}") + rng.choice(v.TW_SUFFIXES)
    domain = "".join(pinyin_of(trade)) + rng.choice((".com.tw", ".com.hk", ".com"))
    return Company(
        name=city + name,
        short_name=to_traditional(trade) if rng.random() < 0.3 else None,
        industry=industry_en,
        region=city,
        domain=domain,
        script="traditional",
    )


def english_company(rng: random.Random) -> Company:
    word = rng.choice(v.EN_WORDS)
    industry = rng.choice(v.EN_INDUSTRIES)
    suffix = rng.choice(v.EN_SUFFIXES)
    domain = (word + industry).lower().replace(" ", "") + rng.choice((".com", ".com", ".co", ".com.sg"))
    return Company(
        name=f"{word} {industry} {suffix}",
        short_name=word if rng.random() < 0.3 else None,
        industry=industry.lower(),
        region=rng.choice(("Hong Kong", "Singapore", "上海", "深圳", "US", "UK", "Germany")),
        domain=domain,
        script="english",
    )


def company(rng: random.Random) -> Company:
    roll = rng.random()
    if roll < ENGLISH_SHARE:
        return english_company(rng)
    if roll < ENGLISH_SHARE + TRADITIONAL_SHARE:
        return traditional_company(rng)
    return chinese_company(rng)


def chinese_person(rng: random.Random) -> str:
    given = rng.choice(v.GIVEN_CHARS) + (rng.choice(v.GIVEN_CHARS) if rng.random() < 0.6 else "")
    return rng.choice(v.SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return f"1{rng.randrange(3, 10)}{rng.randrange(1_000_000_000):09d}"


def person_email(rng: random.Random, name: str, domain: str, english: bool) -> str:
    if english:
        first, _, last = name.partition(" ")
        local = f"{first}.{last}".lower()
    else:
        syllables = pinyin_of(name)
        surname_len = 2 if name[:2] in ("欧阳",) else 1
        surname, given = "".join(syllables[:surname_len]), "".join(syllables[surname_len:])
        local = rng.choice((f"{surname}.{given}", f"{given}.{surname}", f"{surname}{given}"))
        if rng.random() < 0.2:
            local += str(rng.randrange(1, 99))
    if rng.random() < 0.12:
        return f"{local}@{rng.choice(('qq.com', '163.com', 'gmail.com', '126.com'))}"
    return f"{local}@{domain}"


# ------------------------------------------------------------------------------------ records
class _Builder:
    def __init__(self, seed: int, customers: int) -> None:
        self.rng = random.Random(seed)
        self.total = max(customers, 1)
        self.data = Dataset(seed=seed, users=sales_users())

    def _stamp(self, record_id: str, moment: datetime) -> None:
        self.data._meta[record_id] = (time_id(self.rng, moment), moment)

    def customer(self, index: int) -> None:
        rng = self.rng
        fixed = index == 0
        firm = (
            Company(FIXED_NAME, "A科技", "technology", "杭州", "a-tech.cn", "simplified")
            if fixed
            else company(rng)
        )
        owner = self.data.users[0] if fixed else rng.choice(self.data.users)
        created = EPOCH + SPAN * (index / self.total) + timedelta(seconds=rng.randrange(3600))
        updated = created + timedelta(days=rng.randrange(0, 60))
        customer_id = time_id(rng, created)
        row = {
            "id": customer_id,
            "version": 1,
            "created_at": isoformat(created),
            "updated_at": isoformat(updated),
            "name": firm.name,
            "short_name": firm.short_name,
            "tax_id": uscc(rng) if firm.script == "simplified" and rng.random() < 0.6 else None,
            "industry": firm.industry,
            "size": rng.choice(c.COMPANY_SIZES),
            "region": firm.region,
            "address": self._address(firm) if firm.script != "english" else None,
            "source": rng.choice(v.SOURCES),
            "status": rng.choice(("prospect", "prospect", "active", "active", "active", "churned")),
            "value_tier": rng.choice(("normal", "normal", "normal", "important", "vip")),
            "tags": sorted(set(rng.sample(v.TAGS, rng.randrange(0, 3)))),
            "owner_id": owner.id,
            "team_id": owner.team_id,
            "created_by": owner.id,
        }
        self.data.customers.append(row)
        self._stamp(customer_id, created)
        contact_count = 1 if fixed else rng.choice((1, 1, 1, 2, 2, 3))
        contacts = [self.contact(row, firm, created, k, fixed) for k in range(contact_count)]
        for _ in range(1 if fixed else rng.choice((0, 1, 1, 2, 2, 3))):
            self.follow_up(row, contacts, owner, created)

    def _address(self, firm: Company) -> str:
        rng = self.rng
        text = f"{firm.region}{rng.choice(v.DISTRICTS)}{rng.choice(v.ROADS)}{rng.randrange(1, 999)}号"
        return to_traditional(text) if firm.script == "traditional" else text

    def contact(
        self, customer: dict[str, Any], firm: Company, after: datetime, position: int, fixed: bool
    ) -> dict[str, Any]:
        rng = self.rng
        english = firm.script == "english" and rng.random() < 0.7
        if fixed:
            name, title, phones, emails = "李明", "总经理", [FIXED_PHONE], [FIXED_EMAIL]
        else:
            name = f"{rng.choice(v.EN_FIRST)} {rng.choice(v.EN_LAST)}" if english else chinese_person(rng)
            title = rng.choice(v.EN_TITLES if english else v.CN_TITLES)
            phone = mobile(rng)
            phones = ["+86 " + phone if rng.random() < 0.1 else phone]
            if rng.random() < 0.15:
                phones.append(f"0{rng.randrange(10, 999)}-{rng.randrange(10_000_000, 99_999_999)}")
            emails = [person_email(rng, name, firm.domain, english)] if rng.random() < 0.85 else []
            if firm.script == "traditional" and rng.random() < 0.5:
                name = to_traditional(name)
        created = after + timedelta(minutes=rng.randrange(1, 600))
        contact_id = time_id(rng, created)
        row = {
            "id": contact_id,
            "version": 1,
            "created_at": isoformat(created),
            "updated_at": isoformat(created),
            "customer_id": customer["id"],
            "customer_name": customer["name"],
            "owner_id": customer["owner_id"],
            "team_id": customer["team_id"],
            "name": name,
            "title": title,
            "role": "decision_maker" if fixed else _weighted(rng, v.ROLES),
            "phones": phones,
            "emails": emails,
            "wechat_id": f"wx_{rng.getrandbits(40):010x}" if rng.random() < 0.4 else None,
            "is_primary": position == 0,
        }
        self.data.contacts.append(row)
        self._stamp(contact_id, created)
        return row

    def follow_up(
        self, customer: dict[str, Any], contacts: list[dict[str, Any]], owner: User, after: datetime
    ) -> None:
        rng = self.rng
        contact = rng.choice(contacts)
        occurred = after + timedelta(days=rng.randrange(1, 120), minutes=rng.randrange(0, 600))
        template = rng.choice(v.FOLLOW_UP_TEMPLATES)
        content = template.format(
            contact=contact["name"],
            title=contact["title"] or "",
            product=rng.choice(v.PRODUCTS),
            feature=rng.choice(v.FEATURES),
            pct=rng.choice((5, 10, 15, 20, 30)),
            amount=f"{rng.randrange(8, 2000) * 1000:,}",
            number=f"{occurred:%Y%m}{rng.randrange(1000, 9999)}",
            weekday=rng.choice(v.WEEKDAYS),
            days=rng.randrange(3, 90),
        )
        follow_up_id = time_id(rng, occurred)
        next_on: date | None = (occurred + timedelta(days=rng.randrange(3, 30))).date()
        row = {
            "id": follow_up_id,
            "version": 1,
            "created_at": isoformat(occurred),
            "updated_at": isoformat(occurred),
            "customer_id": customer["id"],
            "customer_name": customer["name"],
            "owner_id": customer["owner_id"],
            "team_id": customer["team_id"],
            "contact_id": contact["id"],
            "channel": _weighted(rng, _CHANNEL_WEIGHTS) or "other",
            "occurred_at": isoformat(occurred),
            "author_id": owner.id,
            "content": content,
            "next_follow_up_on": next_on.isoformat() if next_on and rng.random() < 0.6 else None,
        }
        self.data.follow_ups.append(row)
        self._stamp(follow_up_id, occurred)


def generate(customers: int, seed: int = DEFAULT_SEED) -> Dataset:
    """``customers`` customers (record 0 is "A科技有限公司") with ~1.7 contacts and ~1.5 follow-ups each."""
    builder = _Builder(seed, customers)
    for index in range(customers):
        builder.customer(index)
    return builder.data
