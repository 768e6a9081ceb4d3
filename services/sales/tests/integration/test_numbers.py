from __future__ import annotations

import pytest
from kernel.clock import utcnow
from sales.handlers.numbers import next_number
from sales_testkit import SALES1

pytestmark = pytest.mark.integration


def test_numbers_count_per_kind_and_a_rolled_back_create_leaves_no_gap(sales):
    year = utcnow().year
    assert sales.run(SALES1, next_number, "quote") == f"Q-{year}-000001"

    def fails(unit):
        next_number(unit, "quote")
        raise RuntimeError("the create failed after taking a number")

    with pytest.raises(RuntimeError):
        sales.run(SALES1, fails)
    assert sales.run(SALES1, next_number, "quote") == f"Q-{year}-000002"
    assert sales.run(SALES1, next_number, "order") == f"SO-{year}-000001"
