"""Use cases of the customer hub, one module per aggregate: plain functions ``handler(unit, ...)``.

Each runs in one unit of work (``customers.ports.CustomersUnit``) and reports every change
through ``unit.record``; ``customers.service`` exposes them as RPC entrypoints unchanged.
"""
