"""Typed settings: one object per process, read from ``PANORAMA_*`` variables at start-up."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field, create_model, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kernel import registry

DEV_RABBITMQ_URL = "amqp://panorama:panorama@127.0.0.1:5672/%2F"
DEV_IDENTITY_KEY = "panorama-dev-identity-key-change-me-in-production-0123"
DEV_POSTGRES_URL = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432"


class KernelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANORAMA_", extra="ignore")

    environment: str = Field(default="development", description="development | test | production")
    rabbitmq_url: str = DEV_RABBITMQ_URL
    log_level: str = "INFO"
    log_json: bool = True

    # Signs the caller identity on every RPC (gateway → services) and the paging cursors.
    identity_key: str = Field(default=DEV_IDENTITY_KEY, min_length=32, repr=False)
    identity_ttl_seconds: int = Field(default=90, ge=10, le=300)
    # How long an RPC caller (the gateway) waits for an answer: every deadline inside a service
    # (database statements, Elasticsearch requests and their retries) must be shorter.
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("must be development, test or production")
        return value

    @model_validator(mode="after")
    def _refuse_dev_identity_key(self) -> KernelSettings:
        if self.is_production and self.identity_key == DEV_IDENTITY_KEY:
            raise ValueError("refusing to start in production with the development PANORAMA_IDENTITY_KEY")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def refuse_dev_credentials(self, *urls: str) -> None:
        """Production must not run on the local-dev passwords baked into the defaults."""
        if not self.is_production:
            return
        for url in (self.rabbitmq_url, *urls):
            if "panorama:panorama@" in url:
                raise ValueError(
                    f"refusing to start in production with the development credentials in {url!r}"
                )


class ServiceSettings(KernelSettings):
    """Settings of a nameko service that owns a PostgreSQL database.

    Do not subclass this directly: ``service_settings("<name>")`` gives the class whose
    per-service fields read ``PANORAMA_<NAME>_*`` (names from the registry).
    """

    service: ClassVar[registry.Service | None] = None  # set by service_settings()
    database_url: str = ""
    db_pool_size: int = 20
    max_workers: int = 50
    metrics_port: int = 0  # 0 = do not serve /metrics from this process
    # Applied to the sessions of RPC workers: a query stuck on a lock or a bad plan gives up (and
    # rolls back) before the gateway stops waiting, so a timed-out write has no late effect.
    db_statement_timeout_ms: int = Field(default=5000, ge=100)
    db_lock_timeout_ms: int = Field(default=2000, ge=100)
    # Writes as server-side prepared statements (kernel.db.PREPARED_WRITES); false behind a
    # transaction-mode pooler such as PgBouncer.
    db_prepared_writes: bool = True

    @model_validator(mode="after")
    def _database_gives_up_first(self) -> ServiceSettings:
        if self.db_lock_timeout_ms > self.db_statement_timeout_ms:
            raise ValueError("db_lock_timeout_ms must not exceed db_statement_timeout_ms")
        if self.db_statement_timeout_ms >= self.rpc_timeout_seconds * 1000:
            raise ValueError(
                "db_statement_timeout_ms must be shorter than rpc_timeout_seconds (the caller's deadline)"
            )
        return self

    relay_metrics_port: int = 0
    # How long the relay lets events gather after a NOTIFY before one claim and one confirmed
    # publish take them all (PANORAMA_RELAY_COALESCE_MS, every service's relay). Measured on the
    # create bench (issue 11): 10 → 50 ms cut the relay's CPU per event by ~0.3 ms (batches of ~7
    # instead of ~1.5 at 150 creates/s); freshness gains at most the window.
    relay_coalesce_ms: int = Field(default=50, ge=0, le=1000)
    # How long a service remembers the ids of the events it consumed (its relay trims them hourly):
    # far beyond any broker redelivery; a dead letter requeued later is still version-checked.
    processed_events_retention_days: int = Field(default=30, ge=1, le=3650)

    def refuse_dev_secrets(self) -> None:
        self.refuse_dev_credentials(self.database_url)

    def nameko_config(self) -> dict[str, object]:
        """What the kernel's nameko providers read (``Database``, ``Observability``)."""
        self.refuse_dev_secrets()
        return {
            "AMQP_URI": self.rabbitmq_url,
            "max_workers": self.max_workers,
            "DATABASE_URL": self.database_url,
            "DB_POOL_SIZE": self.db_pool_size,
            "DB_STATEMENT_TIMEOUT_MS": self.db_statement_timeout_ms,
            "DB_LOCK_TIMEOUT_MS": self.db_lock_timeout_ms,
            "DB_PREPARED_WRITES": self.db_prepared_writes,
            "METRICS_PORT": self.metrics_port,
        }


def dev_database_url(database: str) -> str:
    return f"{DEV_POSTGRES_URL}/{database}"


def service_settings(name: str) -> type[ServiceSettings]:
    """The settings base of service ``name``: common fields read from ``PANORAMA_<NAME>_*``.

    A service adds its own fields by subclassing the result (``class CustomersSettings(
    service_settings("customers")): overdue_check_seconds: float = 60.0``).
    """
    service = registry.get(name)

    def field(variable: str, attribute: str, default: Any) -> Any:
        return Field(default=default, validation_alias=AliasChoices(variable, attribute))

    fields: dict[str, Any] = {
        "database_url": (
            str,
            field(
                service.database_url_variable,
                "database_url",
                dev_database_url(service.database) if service.database else "",
            ),
        ),
        "metrics_port": (int, field(service.metrics_port_variable, "metrics_port", 0)),
        "relay_metrics_port": (int, field(service.relay_metrics_port_variable, "relay_metrics_port", 0)),
    }
    class_name = "".join(part.title() for part in name.split("_")) + "ServiceSettings"
    settings_class = create_model(class_name, __base__=ServiceSettings, **fields)
    settings_class.service = service
    return settings_class
