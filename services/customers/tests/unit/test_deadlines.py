from typing import Any

from customers.settings import CustomersSettings


def test_customers_workers_get_database_deadlines_inside_the_callers():
    settings = CustomersSettings()
    config: dict[str, Any] = settings.nameko_config()
    assert config["DB_LOCK_TIMEOUT_MS"] <= config["DB_STATEMENT_TIMEOUT_MS"]
    assert config["DB_STATEMENT_TIMEOUT_MS"] < settings.rpc_timeout_seconds * 1000
