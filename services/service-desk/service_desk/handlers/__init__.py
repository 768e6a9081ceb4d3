"""Use cases: plain functions ``(unit, *args)`` run in a unit of work (RPC entrypoints, tests)."""
