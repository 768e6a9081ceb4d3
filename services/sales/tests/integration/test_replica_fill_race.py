"""The customer replica filled twice at once (an RPC read-through and its event's consumer, or two
service copies): both fills succeed, one row is kept. Found by tests/e2e/test_scale_out_copies.py,
where a create_opportunity failed with a duplicate key on ``customer_refs``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from kernel.identity import SYSTEM
from sales.handlers import replicas
from sales.storage.models import CustomerRefRow
from sales_testkit import SALES1
from sqlalchemy import func, select

pytestmark = pytest.mark.integration


def test_two_fills_of_one_customer_at_once_keep_one_row_and_the_newer_version(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    newer = {**acme, "name": "A科技集团", "version": acme["version"] + 1}
    inserted, release = threading.Event(), threading.Event()
    first: dict[str, Any] = {}

    def fill_and_hold(unit: Any) -> str:
        name = replicas.CUSTOMERS.store(unit.session, acme).name
        inserted.set()
        release.wait(10)  # still uncommitted while the second fill runs
        return name

    holder = threading.Thread(target=lambda: first.setdefault("name", sales.run(SYSTEM, fill_and_hold)))
    holder.start()
    assert inserted.wait(10)
    threading.Timer(0.3, release.set).start()  # the second fill is waiting on the first's insert by then
    second = sales.run(SYSTEM, lambda unit: replicas.CUSTOMERS.store(unit.session, newer).name)
    holder.join(10)
    assert (first["name"], second) == ("A科技有限公司", "A科技集团")

    def rows(unit: Any) -> list[tuple[str, int]]:
        count = unit.session.scalar(select(func.count()).where(CustomerRefRow.id == acme["id"]))
        ref = replicas.CUSTOMERS.held(unit.session, acme["id"])
        assert ref is not None
        return [(ref.name, ref.version)] * count

    assert sales.run(SYSTEM, rows) == [("A科技集团", newer["version"])]
