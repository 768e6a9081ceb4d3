"""Liveness, readiness and metrics for the orchestrator and Prometheus."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from gateway.api.deps import get_directory, get_rpc, get_settings
from gateway.auth.directory import Directory
from gateway.rpc import RpcClient
from gateway.settings import GatewaySettings

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
    not_ready: list[str]


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_database(directory: Directory, timeout: float) -> bool:
    try:
        return bool(await asyncio.wait_for(run_in_threadpool(directory.store.ping), timeout))
    except Exception:  # any failure means "not ready"; the reason is in the gateway's logs
        return False


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: broker connection, database, and every service answering ping",
    responses={503: {"model": Readiness, "description": "Something is not ready (listed in not_ready)"}},
)
async def readyz(
    rpc: RpcClient = Depends(get_rpc),
    directory: Directory = Depends(get_directory),
    settings: GatewaySettings = Depends(get_settings),
) -> JSONResponse:
    timeout = settings.rpc_ready_timeout_seconds
    checks: dict[str, str] = {"rabbitmq": "ok" if rpc.connected else "down"}
    services = list(settings.ready_services)
    results: list[Any] = await asyncio.gather(
        _check_database(directory, timeout + 1),
        *(rpc.ping(service, timeout) for service in services),
    )
    checks["database"] = "ok" if results[0] else "down"
    for service, ok in zip(services, results[1:], strict=True):
        checks[service] = "ok" if ok else "down"
    not_ready = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ready" if not not_ready else "not ready", "checks": checks, "not_ready": not_ready}
    return JSONResponse(body, status_code=503 if not_ready else 200)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
