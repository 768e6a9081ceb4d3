"""The bench data generator is deterministic and its records look like real CRM data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is a top-level package of the repo, not an installed one
    sys.path.insert(0, str(ROOT))

from customers import contracts  # noqa: E402
from customers.domain.fields import uscc_is_valid  # noqa: E402
from kernel.envelope import Envelope  # noqa: E402
from kernel.text import fold  # noqa: E402

from bench import datagen  # noqa: E402

MOBILE = re.compile(r"^(\+86 )?1[3-9]\d{9}$")
EMAIL = re.compile(r"^[a-z0-9.]+@[a-z0-9.-]+\.[a-z]{2,}$")


def _json(data: datagen.Dataset) -> list[str]:
    return [event.to_json() for event in data.events()]


def test_same_seed_same_events_other_seed_other_events() -> None:
    assert _json(datagen.generate(300, seed=7)) == _json(datagen.generate(300, seed=7))
    assert _json(datagen.generate(300, seed=7)) != _json(datagen.generate(300, seed=8))


def test_events_are_valid_customers_envelopes() -> None:
    data = datagen.generate(400)
    events = list(data.events())
    assert len(events) == data.event_count
    assert len({e.id for e in events}) == len(events)
    assert len({e.aggregate.id for e in events}) == len(events)
    for event in events:
        assert Envelope.from_json(event.to_json()) == event
        assert event.source == "customers" and event.type.endswith(".created")
        contracts.EVENT_SCHEMAS[event.type].model_validate(event.data)


def test_records_look_real() -> None:
    data = datagen.generate(3000)
    names = [c["name"] for c in data.customers]
    assert names[0] == "A科技有限公司"
    english = [n for n in names if n.isascii()]
    assert 0.10 < len(english) / len(names) < 0.20
    assert any(n.endswith("Co., Ltd.") for n in english)
    assert any(fold(n) != n.lower() for n in names), "some names are in Traditional script"
    chinese = [n for n in names if not n.isascii()]
    assert all(re.search(r"(公司|集团|集團)$", n) for n in chinese)
    assert any(n.endswith("股份有限公司") for n in chinese) and any("集团" in n for n in chinese)
    assert any("云帆" in n for n in chinese)
    assert all(uscc_is_valid(c["tax_id"]) for c in data.customers if c["tax_id"])

    users = {u.id: u for u in data.users}
    assert len(users) == 20 and len({u.team_id for u in users.values()}) == 4
    assert all(users[c["owner_id"]].team_id == c["team_id"] for c in data.customers)

    assert all(MOBILE.match(contact["phones"][0]) for contact in data.contacts)
    emails = [e for contact in data.contacts for e in contact["emails"]]
    assert len(emails) > 0.7 * len(data.contacts) and all(EMAIL.match(e) for e in emails)
    assert {contact["role"] for contact in data.contacts} >= {"decision_maker", "influencer"}
    notes = " ".join(f["content"] for f in data.follow_ups)
    assert all(word in notes for word in ("报价", "拜访", "合同", "回款"))
