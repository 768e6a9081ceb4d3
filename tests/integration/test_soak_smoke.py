"""The soak harness on the whole real stack, briefly: a handful of users, no errors, every route of
the mix exercised. Timing is printed by the bench, never asserted here."""

from __future__ import annotations

import pytest

from bench import soak
from bench.soak_scenario import ROLE_ORDER, mix_routes


@pytest.mark.timeout(1200)  # the whole stack starts, migrates and seeds first (minutes on a busy box)
def test_five_users_for_twenty_seconds_make_no_errors_and_cover_the_mix() -> None:
    args = soak.parse_args(
        ["--users", "5", "--minutes", "0.34", "--customers", "100", "--think", "0.2,0.6", "--ramp", "2",
         "--output", "soak-smoke"]
    )  # fmt: skip
    result = soak.soak(args, lambda message: print(f"[soak smoke] {message}"))

    assert result["run"]["roles_run"] == sorted(ROLE_ORDER)  # five users: one of each role
    assert result["errors"]["total"] == 0, result["errors"]["samples"]
    exercised = {route for route, row in result["routes"].items() if route != "TOTAL" and row["count"] > 0}
    assert mix_routes(set(ROLE_ORDER)) - exercised == set()
    assert set(result["mix_routes"]) == mix_routes(set(ROLE_ORDER))
    processes = result["processes"]["processes"]
    assert {"gateway", "customers", "search-indexer"} <= set(processes)
    assert all(row["samples"] >= 2 and row["rss_peak_mb"] > 0 for row in processes.values())
