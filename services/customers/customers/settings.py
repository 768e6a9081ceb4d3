from __future__ import annotations

from kernel.settings import ServiceSettings
from pydantic import AliasChoices, Field

DEV_DATABASE_URL = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432/panorama_customers"


class CustomersSettings(ServiceSettings):
    database_url: str = Field(
        default=DEV_DATABASE_URL,
        validation_alias=AliasChoices("PANORAMA_CUSTOMERS_DATABASE_URL", "database_url"),
    )
    metrics_port: int = Field(
        default=0, validation_alias=AliasChoices("PANORAMA_CUSTOMERS_METRICS_PORT", "metrics_port")
    )
    relay_metrics_port: int = Field(
        default=0,
        validation_alias=AliasChoices("PANORAMA_CUSTOMERS_RELAY_METRICS_PORT", "relay_metrics_port"),
    )
    overdue_check_seconds: float = 60.0

    def nameko_config(self) -> dict[str, object]:
        self.refuse_dev_credentials(self.database_url)
        return {
            "AMQP_URI": self.rabbitmq_url,
            "max_workers": self.max_workers,
            "DATABASE_URL": self.database_url,
            "DB_POOL_SIZE": self.db_pool_size,
            "DB_STATEMENT_TIMEOUT_MS": self.db_statement_timeout_ms,
            "DB_LOCK_TIMEOUT_MS": self.db_lock_timeout_ms,
            "METRICS_PORT": self.metrics_port,
        }
