"""Runs the real customers service under another nameko name (argv[1]), so this suite's copy never
shares the ``rpc-customers`` queue with a copy another suite runs on the same test vhost."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from customers.service import CustomersService  # noqa: E402
from customers.settings import CustomersSettings  # noqa: E402
from kernel.nameko_ext import run_service  # noqa: E402


class IsolatedCustomersService(CustomersService):
    name = sys.argv[1]


if __name__ == "__main__":
    run_service(IsolatedCustomersService, CustomersSettings().nameko_config())
