"""Helpers for the test suites: where the test servers are, and waiting for eventual results.

Integration tests run against the real servers started by deploy/local/up.sh, on their own
databases and their own RabbitMQ virtual host, so a running `make run` stack is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from pydantic_settings import BaseSettings, SettingsConfigDict

T = TypeVar("T")


class TestServers(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANORAMA_TEST_", extra="ignore")
    __test__ = False  # not a pytest test class

    rabbitmq_url: str = "amqp://panorama:panorama@127.0.0.1:5672/panorama_test"
    customers_database_url: str = (
        "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432/panorama_test_customers"
    )
    gateway_database_url: str = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432/panorama_test_gateway"
    elasticsearch_url: str = "http://127.0.0.1:9200"


def eventually(check: Callable[[], T | None], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail with the last error otherwise."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except AssertionError as exc:
            last_error = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s") from last_error
        time.sleep(interval)
