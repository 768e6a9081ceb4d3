"""FastAPI dependencies: the process's collaborators (overridable in tests) and the current user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer

from gateway.api.routes._params import IdempotencyKey
from gateway.auth.directory import Directory
from gateway.auth.permissions import require
from gateway.auth.records import UserRecord
from gateway.auth.replication import UserReplicator
from gateway.auth.sessions import SessionRevocations
from gateway.auth.throttle import LoginThrottle
from gateway.auth.tokens import InvalidToken, TokenClaims, TokenIssuer
from gateway.errors import Unauthenticated
from gateway.idempotency import Idempotency, IdempotencyStore
from gateway.rpc import RpcClient
from gateway.service_health import ServiceHealth
from gateway.settings import GatewaySettings

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def app_settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_settings(request: Request) -> GatewaySettings:
    return app_settings(request)


async def get_rpc(request: Request) -> RpcClient:
    return request.app.state.rpc  # type: ignore[no-any-return]


async def get_directory(request: Request) -> Directory:
    return request.app.state.directory  # type: ignore[no-any-return]


async def get_tokens(request: Request) -> TokenIssuer:
    return request.app.state.tokens  # type: ignore[no-any-return]


async def get_throttle(request: Request) -> LoginThrottle:
    return request.app.state.throttle  # type: ignore[no-any-return]


async def get_revocations(request: Request) -> SessionRevocations:
    return request.app.state.revocations  # type: ignore[no-any-return]


async def get_service_health(request: Request) -> ServiceHealth:
    return request.app.state.service_health  # type: ignore[no-any-return]


async def get_replicator(request: Request) -> UserReplicator:
    return request.app.state.replicator  # type: ignore[no-any-return]


async def get_idempotency_store(request: Request) -> IdempotencyStore:
    return request.app.state.idempotency  # type: ignore[no-any-return]


async def idempotency(request: Request, key: IdempotencyKey = None) -> Idempotency:
    """The request's ``Idempotency-Key`` (if any); writes run through ``Idempotency.run``."""
    # The store and settings come from app.state directly, not as sub-dependencies: FastAPI
    # resolves each dependency of every write anew, and these two never vary per request.
    settings = app_settings(request)
    return Idempotency(
        request.app.state.idempotency,
        key,
        request,
        # A first attempt counts as running for as long as the gateway may still wait for it.
        lease=timedelta(seconds=2 * settings.rpc_timeout_seconds),
        ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
    )


async def resolve_token(
    token: str, directory: Directory, tokens: TokenIssuer, revocations: SessionRevocations
) -> tuple[UserRecord, TokenClaims]:
    """The active user a token speaks for (shared by bearer auth and the UI's cookie)."""
    try:
        claims = tokens.verify(token)
    except InvalidToken:
        raise Unauthenticated("the token is invalid or expired; log in again") from None
    if claims.session_id is not None:
        # A browser session's token (also when replayed as a bearer token) dies with its logout.
        revoked = revocations.peek(claims.session_id)
        if revoked is None:
            revoked = await run_in_threadpool(revocations.is_revoked, claims.session_id)
        if revoked:
            raise Unauthenticated("this session was logged out; log in again")
    hit, user = directory.peek_cached(claims.user_id)
    if not hit:
        # Only a cache miss touches the database, and only then off the event loop.
        user = await run_in_threadpool(directory.get_user_cached, claims.user_id)
    if user is None or not user.active:
        raise Unauthenticated("this account is unknown or deactivated")
    if claims.issued_at.timestamp() < int(user.password_changed_at.timestamp()):
        raise Unauthenticated("the password changed after this token was issued; log in again")
    return user, claims


async def current_user(request: Request, token: str | None = Depends(bearer_scheme)) -> UserRecord:
    if not token:
        raise Unauthenticated()
    # app.state read here rather than through three sub-dependencies: every authenticated request
    # resolves this one, and FastAPI's per-dependency bookkeeping was a visible share of its CPU.
    state = request.app.state
    return (await resolve_token(token, state.directory, state.tokens, state.revocations))[0]


def requires(capability: str) -> Callable[..., Awaitable[UserRecord]]:
    """Dependency: the current user, if their roles grant ``capability`` (else 403)."""

    # Every dependency here is ``async def`` on purpose: FastAPI runs a plain ``def`` dependency
    # in its thread pool, and those hand-offs were a large share of the gateway's CPU per request.
    # ``current_user`` is called, not depended on: one level fewer for FastAPI to resolve on every
    # authenticated request (the bearer scheme stays a dependency: it documents the security).
    async def check(request: Request, token: str | None = Depends(bearer_scheme)) -> UserRecord:
        user = await current_user(request, token)
        require(user, capability)
        return user

    check.__name__ = f"requires_{capability.replace(':', '_')}"
    return check


# Annotated aliases: ``user: CurrentUser`` instead of ``user: UserRecord = Depends(current_user)``.
CurrentUser = Annotated[UserRecord, Depends(current_user)]
Settings = Annotated[GatewaySettings, Depends(get_settings)]
Rpc = Annotated[RpcClient, Depends(get_rpc)]
DirectoryDep = Annotated[Directory, Depends(get_directory)]
Once = Annotated[Idempotency, Depends(idempotency)]
