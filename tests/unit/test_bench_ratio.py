"""bench.ratio's table: each round's rates and ratio, and the median ratio with its range."""

from __future__ import annotations

import pytest

from bench.ratio import parse_args, rounds_table


def test_the_table_gives_every_round_and_the_median_ratio() -> None:
    rows = [
        {"elasticsearch": 400.0, "pg_trgm": 300.0, "ratio": 400 / 300},
        {"elasticsearch": 350.0, "pg_trgm": 200.0, "ratio": 1.75},
        {"elasticsearch": 380.0, "pg_trgm": 380.0, "ratio": 1.0},
    ]
    table = rounds_table(rows, 16).splitlines()
    assert table[2] == "| 1 | 400 | 300 | 1.33× |"
    assert table[-1] == "| median | | | **1.33×** (min 1.00, max 1.75) |"
    assert len(table) == 2 + len(rows) + 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rounds", "0"])
