"""Typed settings of the gateway process (``PANORAMA_*`` variables, read once at start-up)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel import registry
from kernel.settings import KernelSettings
from pydantic import AliasChoices, Field, field_validator, model_validator

DEV_DATABASE_URL = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432/panorama_gateway"
DEV_JWT_SECRET = "panorama-dev-secret-change-me-in-production-0123456789"
DEV_DEMO_PASSWORD = "panorama"


class GatewaySettings(KernelSettings):
    gateway_database_url: str = Field(
        default=DEV_DATABASE_URL,
        validation_alias=AliasChoices("PANORAMA_GATEWAY_DATABASE_URL", "gateway_database_url"),
    )
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # Run ``alembic upgrade head`` when the app starts (guarded by an advisory lock).
    migrate_on_start: bool = True

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # How long an idle keep-alive connection stays open. uvicorn's default (5 s) is shorter than a
    # user's pause between two clicks, so a request sent as the server closes the idle connection
    # failed with "server disconnected" (the soak bench saw it); longer than the usual 60 s idle
    # timeout of a proxy in front, so the proxy, not the gateway, closes first.
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # Where the browser reaches us: https:// gives Secure, ``__Host-`` prefixed cookies (required
    # in production).
    public_url: str = "http://127.0.0.1:8000"

    jwt_secret: str = Field(default=DEV_JWT_SECRET, min_length=32)
    jwt_issuer: str = "panorama-gateway"
    token_ttl_seconds: int = Field(default=30 * 60, ge=60, le=24 * 3600)
    # How long another replica may still accept a logged-out session (its "not revoked" cache).
    session_revocation_cache_seconds: float = Field(default=2.0, ge=0, le=60)

    # nameko service names; another name runs a second, isolated copy on the same broker (tests).
    customers_service: str = Field(default="customers", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    search_service: str = Field(default="search", pattern=r"^[a-z][a-z0-9_]{0,62}$")
    rpc_ready_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    # Defaults from the service registry (kernel/registry.py): every service; those holding a
    # replica of the gateway's users.
    ready_services: list[str] = Field(default_factory=registry.names)
    replica_services: list[str] = Field(default_factory=registry.user_replica_services)
    service_probe_interval_seconds: float = Field(default=5.0, gt=0, le=300)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # How long a write's Idempotency-Key (and its first answer) is remembered.
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)

    login_max_failures: int = Field(default=5, ge=1)
    # Higher than per account: one office NAT address is shared by a whole sales team.
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)

    # /metrics of ``python -m gateway.relay`` (the identity outbox relay); 0 = off.
    relay_metrics_port: int = Field(
        default=0, validation_alias=AliasChoices("PANORAMA_GATEWAY_RELAY_METRICS_PORT", "relay_metrics_port")
    )

    demo_password: str = Field(default=DEV_DEMO_PASSWORD, min_length=8)
    default_timezone: str = "Asia/Shanghai"

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _refuse_dev_secrets(self) -> GatewaySettings:
        if self.is_production:
            if self.jwt_secret == DEV_JWT_SECRET:
                raise ValueError("refusing to start in production with the development PANORAMA_JWT_SECRET")
            if self.demo_password == DEV_DEMO_PASSWORD:
                raise ValueError(
                    "refusing to start in production with the development PANORAMA_DEMO_PASSWORD"
                )
            self.refuse_dev_credentials(self.gateway_database_url)
            if not self.secure_cookies:
                raise ValueError(
                    "refusing to start in production unless PANORAMA_PUBLIC_URL is https:// "
                    "(session cookies must be Secure)"
                )
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@lru_cache(maxsize=1)
def get_settings() -> GatewaySettings:
    """The process-wide settings object (tests build their own and inject it)."""
    return GatewaySettings()
