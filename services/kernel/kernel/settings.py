"""Typed settings: one object per process, read from ``PANORAMA_*`` variables at start-up."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_RABBITMQ_URL = "amqp://panorama:panorama@127.0.0.1:5672/%2F"
DEV_IDENTITY_KEY = "panorama-dev-identity-key-change-me-in-production-0123"


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
    """Settings of a nameko service that owns a PostgreSQL database."""

    database_url: str = ""
    db_pool_size: int = 20
    max_workers: int = 50
    metrics_port: int = 0  # 0 = do not serve /metrics from this process
    # Applied to the sessions of RPC workers: a query stuck on a lock or a bad plan gives up (and
    # rolls back) before the gateway stops waiting, so a timed-out write has no late effect.
    db_statement_timeout_ms: int = Field(default=5000, ge=100)
    db_lock_timeout_ms: int = Field(default=2000, ge=100)

    @model_validator(mode="after")
    def _database_gives_up_first(self) -> ServiceSettings:
        if self.db_lock_timeout_ms > self.db_statement_timeout_ms:
            raise ValueError("db_lock_timeout_ms must not exceed db_statement_timeout_ms")
        if self.db_statement_timeout_ms >= self.rpc_timeout_seconds * 1000:
            raise ValueError(
                "db_statement_timeout_ms must be shorter than rpc_timeout_seconds (the caller's deadline)"
            )
        return self
