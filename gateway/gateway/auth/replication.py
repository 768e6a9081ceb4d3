"""Copies users to the services that validate owners and assignees (``customers.upsert_user``).

Every change is pushed at once; when that fails (customers down, broker down) a background loop
resyncs the whole directory with backoff until it succeeds. Upserts are idempotent, so pushing a
user twice is harmless, and the gateway never blocks a user change on another service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from kernel import registry
from kernel.errors import PanoramaError
from kernel.identity import SYSTEM

from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord
from gateway.metrics import USER_SYNC_PENDING
from gateway.rpc import RpcClient
from gateway.rpc_errors import RpcError

log = logging.getLogger(__name__)

REPLICA_SERVICES = tuple(registry.user_replica_services())  # settings.replica_services, by default


def upsert_kwargs(user: UserRecord) -> dict[str, Any]:
    return {"caller": SYSTEM.to_payload(), "user": user.replica()}


class UserReplicator:
    def __init__(
        self,
        rpc: RpcClient,
        directory: Directory,
        *,
        services: Sequence[str] = REPLICA_SERVICES,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        self.rpc = rpc
        self.directory = directory
        self.services = tuple(services)
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._wanted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.synced_once = asyncio.Event()

    def start(self) -> None:
        """Begin the start-up sync (must be called on the running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="user-replication")
        self.request_full_sync()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def request_full_sync(self) -> None:
        USER_SYNC_PENDING.set(1)
        self._wanted.set()

    async def replicate(self, user: UserRecord) -> bool:
        """Push one user now; on failure leave it to the background resync."""
        try:
            await self._push(user)
            return True
        except (RpcError, PanoramaError) as exc:
            log.warning("user %s not replicated yet (%s); a background resync will retry", user.username, exc)
            self.request_full_sync()
            return False

    async def _push(self, user: UserRecord) -> None:
        for service in self.services:
            await self.rpc.call(service, "upsert_user", upsert_kwargs(user))

    async def sync_all(self) -> int:
        users = await asyncio.to_thread(self.directory.list_users)
        for user in users:
            await self._push(user)
        return len(users)

    async def _loop(self) -> None:
        backoff = self.backoff_initial
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                count = await self.sync_all()
            except Exception as exc:  # anything: the loop must survive to retry
                self._wanted.set()
                log.warning("user sync failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.backoff_max)
                continue
            backoff = self.backoff_initial
            if not self._wanted.is_set():
                USER_SYNC_PENDING.set(0)
            self.synced_once.set()
            log.info("replicated %d users to %s", count, ", ".join(self.services))
