"""Liveness, readiness and metrics for the orchestrator and Prometheus."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from gateway.api.deps import get_directory, get_rpc, get_service_health, get_settings
from gateway.auth.directory import Directory
from gateway.rpc import RpcClient
from gateway.service_health import ServiceHealth
from gateway.settings import GatewaySettings

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str] = Field(description="The gateway's own dependencies; any down means 503")
    not_ready: list[str]
    services: dict[str, str] = Field(
        description="Each business service's answer to ping; reported only, never a reason for 503"
    )


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
    summary="Readiness: the gateway's database and broker connection (services are reported only)",
    responses={503: {"model": Readiness, "description": "The gateway itself is not ready (see not_ready)"}},
)
async def readyz(
    rpc: RpcClient = Depends(get_rpc),
    directory: Directory = Depends(get_directory),
    settings: GatewaySettings = Depends(get_settings),
    health: ServiceHealth = Depends(get_service_health),
) -> JSONResponse:
    # A down service must not take the whole gateway out of rotation: its routes answer 503 on
    # their own and everything else keeps working.
    timeout = settings.rpc_ready_timeout_seconds
    database_ok, services = await asyncio.gather(
        _check_database(directory, timeout + 1), health.probe(rpc, timeout)
    )
    checks = {"rabbitmq": "ok" if rpc.connected else "down", "database": "ok" if database_ok else "down"}
    not_ready = sorted(name for name, state in checks.items() if state != "ok")
    body = {
        "status": "ready" if not not_ready else "not ready",
        "checks": checks,
        "not_ready": not_ready,
        "services": services,
    }
    return JSONResponse(body, status_code=503 if not_ready else 200)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
