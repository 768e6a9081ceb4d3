"""Typed settings: one object per process, read from ``PANORAMA_*`` variables at start-up."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_RABBITMQ_URL = "amqp://panorama:panorama@127.0.0.1:5672/%2F"


class KernelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANORAMA_", extra="ignore")

    environment: str = Field(default="development", description="development | test | production")
    rabbitmq_url: str = DEV_RABBITMQ_URL
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("must be development, test or production")
        return value

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
