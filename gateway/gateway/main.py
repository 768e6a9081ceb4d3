"""The FastAPI application: wiring of settings, RPC client, directory, API, web UI and middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from kernel.signing import configure_signing

from gateway.api.routes import auth, ops, users
from gateway.auth.directory import Directory
from gateway.auth.replication import UserReplicator
from gateway.auth.sessions import MemoryRevocationStore, SessionRevocations
from gateway.auth.sql_sessions import SqlRevocationStore
from gateway.auth.sql_store import SqlUserStore
from gateway.auth.sql_throttle import SqlLoginThrottle
from gateway.auth.store import UserStore
from gateway.auth.throttle import MemoryLoginThrottle
from gateway.auth.tokens import TokenIssuer
from gateway.db import create_sessions, migrate
from gateway.error_handlers import install_error_handlers
from gateway.idempotency import IdempotencyStore, MemoryIdempotencyStore
from gateway.idempotency_sql import SqlIdempotencyStore
from gateway.middleware import BodyLimitMiddleware, ObservabilityMiddleware
from gateway.openapi import install_docs, install_openapi
from gateway.routing_index import guard_included_routers
from gateway.rpc import PikaRpcClient, RpcClient
from gateway.service_health import HealthMonitor, HealthReportingRpc, ServiceHealth
from gateway.services import register
from gateway.services.installed import INSTALLED
from gateway.settings import GatewaySettings, get_settings
from gateway.web import install_web

log = logging.getLogger(__name__)

API_DESCRIPTION = """
Panorama CRM gateway. Log in with `POST /api/v1/auth/token` (OAuth2 password flow) and send
`Authorization: Bearer <token>`. Lists page with `limit` and `cursor` (`next_cursor` of the
previous page). Changes take the record version in `If-Match: "<version>"` (or `version` in the
body) and answer 409 when it is stale; responses carry `ETag: "<version>"`. Every error is
RFC 9457 `application/problem+json` with `errors[{field, message}]` for invalid input.
Creates accept an `Idempotency-Key` header: retrying with the same key (say after a timeout)
returns the first answer, marked `Idempotent-Replayed: true`, instead of creating twice.
"""


def create_app(
    settings: GatewaySettings | None = None,
    *,
    rpc: RpcClient | None = None,
    store: UserStore | None = None,
    idempotency: IdempotencyStore | None = None,
) -> FastAPI:
    """Build the app; tests pass a fake ``rpc`` and an in-memory ``store`` (no servers needed);
    with an in-memory user store the idempotency keys are kept in memory too."""
    settings = settings or get_settings()
    # The identities this gateway signs on every RPC, and the cursors it checks, use its settings.
    configure_signing(settings.identity_key, settings.identity_ttl_seconds)
    throttle_limits: dict[str, Any] = {
        "max_failures_per_account": settings.login_max_failures,
        "max_failures_per_address": settings.login_max_failures_per_address,
        "window_seconds": settings.login_window_seconds,
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        owned_rpc: PikaRpcClient | None = None
        if store is None:
            engine, sessions = create_sessions(settings.gateway_database_url, settings.db_pool_size)
            if settings.migrate_on_start:
                await run_in_threadpool(migrate, engine)
            app.state.directory = Directory(
                SqlUserStore(sessions), default_timezone=settings.default_timezone
            )
            if getattr(app.state, "idempotency", None) is None:
                app.state.idempotency = SqlIdempotencyStore(sessions)
            # Shared by every replica through the database (the in-memory one counts per process).
            app.state.throttle = SqlLoginThrottle(sessions, **throttle_limits)
            app.state.revocations = SessionRevocations(
                SqlRevocationStore(sessions), cache_seconds=settings.session_revocation_cache_seconds
            )
        if rpc is None:
            owned_rpc = PikaRpcClient(settings.rabbitmq_url, timeout=settings.rpc_timeout_seconds)
            await owned_rpc.open()  # on uvicorn's loop: calls publish and get replies with no thread hop
            app.state.rpc = HealthReportingRpc(owned_rpc, app.state.service_health)
        if getattr(app.state, "replicator", None) is None:
            app.state.replicator = UserReplicator(
                app.state.rpc, app.state.directory, services=settings.replica_services
            )
        replicator: UserReplicator = app.state.replicator
        replicator.start()
        monitor = HealthMonitor(
            app.state.service_health,
            app.state.rpc,
            interval=settings.service_probe_interval_seconds,
            timeout=settings.rpc_ready_timeout_seconds,
        )
        monitor.start()
        log.info("gateway ready on %s:%s (%s)", settings.host, settings.port, settings.environment)
        try:
            yield
        finally:
            await monitor.stop()
            await replicator.stop()
            if owned_rpc is not None:
                await owned_rpc.close()
            if engine is not None:
                engine.dispose()

    app = FastAPI(
        title="Panorama CRM",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets below: no CDN
        redoc_url=None,
        # Metrics are Prometheus's (``gateway.middleware``); FastAPI's native OpenTelemetry would
        # otherwise look up the global providers on every request to find none configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.tokens = TokenIssuer(settings.jwt_secret, settings.jwt_issuer, settings.token_ttl_seconds)
    app.state.throttle = MemoryLoginThrottle(**throttle_limits)
    app.state.service_health = ServiceHealth(settings.ready_services)
    app.state.revocations = SessionRevocations(
        MemoryRevocationStore(), cache_seconds=settings.session_revocation_cache_seconds
    )
    if store is not None:
        app.state.directory = Directory(store, default_timezone=settings.default_timezone)
    app.state.idempotency = idempotency or (MemoryIdempotencyStore() if store is not None else None)
    if rpc is not None:
        app.state.rpc = HealthReportingRpc(rpc, app.state.service_health)
    if store is not None and rpc is not None:
        # Fully wired without the lifespan too (ASGI test clients that do not run it).
        app.state.replicator = UserReplicator(
            app.state.rpc, app.state.directory, services=settings.replica_services
        )

    for module in (auth, users):
        app.include_router(module.router)
    for service in INSTALLED:
        register(app, service)
    app.include_router(ops.router)
    install_web(app)
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    # Every route is in place: let requests skip the routers that cannot match their path.
    guard_included_routers(app)
    # Added last = outermost: the limit applies before anything reads the body, and the
    # observability layer sees (and labels) every response including the limit's 413s.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, routes_app=app)
    return app
