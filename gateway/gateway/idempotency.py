"""``Idempotency-Key`` on writes: a client's retry after a timeout gets the first answer, not a
second record.

Per (user, key) the store keeps the request's fingerprint (method, path, query, body) and, once
the first request finished, its status, headers and body. A retry with the same key and the same
request replays that answer with ``Idempotent-Replayed: true``; the same key with another request
is a 422 naming ``Idempotency-Key``; a retry while the first is still running is a 409. Keys are
kept ``ttl`` (24 h).

What is remembered: the answers of writes that happened (2xx). A refusal (4xx: nothing was
written) or a service error frees the key, so the corrected retry runs. An RPC timeout says
nothing about whether the write happened: the key stays claimed for the lease (the RPC deadline
and a margin: by then the service has committed or rolled back, its deadlines being shorter),
retries meanwhile get 409, and may run again afterwards. Exactly-once beyond that needs the
service itself to remember the key.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from kernel.clock import utcnow
from kernel.errors import Conflict, ValidationError
from starlette.responses import Response

from gateway.rpc_errors import RpcTimeout

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as the IETF draft's examples (UUIDs)
_KEY = re.compile(KEY_PATTERN)
DEFAULT_TTL = timedelta(hours=24)
# Response headers worth replaying; the rest (date, correlation id, content-length) is per response.
REPLAYED_HEADERS = ("content-type", "location", "etag")


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Claimed:
    """This request owns the key: run it, then ``finish`` or ``release``."""


@dataclass(frozen=True)
class Replay:
    response: StoredResponse


@dataclass(frozen=True)
class InFlight:
    """The first request with this key has not finished yet."""


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request."""


Outcome = Claimed | Replay | InFlight | Mismatch


class IdempotencyStore(Protocol):
    def begin(
        self, user_id: str, key: str, fingerprint: str, *, now: datetime, lease: timedelta, ttl: timedelta
    ) -> Outcome: ...

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None: ...

    def release(self, user_id: str, key: str) -> None: ...


@dataclass
class KeyEntry:
    fingerprint: str
    expires_at: datetime
    locked_until: datetime | None
    response: StoredResponse | None = None


def decide(entry: KeyEntry | None, fingerprint: str, now: datetime) -> tuple[Outcome, bool]:
    """(outcome, whether the caller takes the key over) for an existing entry: shared by stores."""
    if entry is None or entry.expires_at <= now:
        return Claimed(), True
    if entry.fingerprint != fingerprint:
        return Mismatch(), False
    if entry.response is not None:
        return Replay(entry.response), False
    if entry.locked_until is not None and entry.locked_until > now:
        return InFlight(), False
    return Claimed(), True  # the first attempt was abandoned (crash, timeout): try again


class MemoryIdempotencyStore:
    """One process's keys (unit tests, a single-replica development gateway)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], KeyEntry] = {}

    def begin(
        self, user_id: str, key: str, fingerprint: str, *, now: datetime, lease: timedelta, ttl: timedelta
    ) -> Outcome:
        with self._lock:
            outcome, take = decide(self._entries.get((user_id, key)), fingerprint, now)
            if take:
                self._entries[(user_id, key)] = KeyEntry(fingerprint, now + ttl, now + lease)
            for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[stale]
            return outcome

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None:
        with self._lock:
            entry = self._entries.get((user_id, key))
            if entry is not None:
                entry.response = response
                entry.locked_until = None

    def release(self, user_id: str, key: str) -> None:
        with self._lock:
            entry = self._entries.get((user_id, key))
            if entry is not None and entry.response is None:
                del self._entries[(user_id, key)]


def validate_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValidationError.for_field(HEADER, "must be 1 to 255 visible ASCII characters, e.g. a UUID")
    return key


async def fingerprint(request: Request) -> str:
    """The request as the key promises it: method, path, query and body (JSON compared by value)."""
    raw = await request.body()
    try:
        body: object = json.loads(raw) if raw else None
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    except (UnicodeDecodeError, ValueError):
        canonical = raw
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, str(sorted(request.query_params.multi_items()))):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def _stored(response: Response) -> StoredResponse:
    headers = {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
    return StoredResponse(status=response.status_code, headers=headers, body=bytes(response.body))


def replay(stored: StoredResponse) -> Response:
    return Response(
        content=stored.body,
        status_code=stored.status,
        headers={**stored.headers, REPLAYED_HEADER: "true"},
    )


@dataclass
class Idempotency:
    """The key of one request (or none) and where keys are kept; routes wrap their write in ``run``."""

    store: IdempotencyStore
    key: str | None
    request: Request
    lease: timedelta
    ttl: timedelta = DEFAULT_TTL

    async def run(self, user_id: str, write: Callable[[], Awaitable[Response]]) -> Response:
        if self.key is None:
            return await write()
        key = validate_key(self.key)
        print_ = await fingerprint(self.request)
        outcome = await run_in_threadpool(
            self.store.begin, user_id, key, print_, now=utcnow(), lease=self.lease, ttl=self.ttl
        )
        if isinstance(outcome, Replay):
            return replay(outcome.response)
        if isinstance(outcome, Mismatch):
            raise ValidationError.for_field(HEADER, "was already used for a different request")
        if isinstance(outcome, InFlight):
            raise Conflict(
                "a request with this Idempotency-Key is still being processed; retry shortly",
                [{"field": HEADER, "message": "is in use by a request in progress"}],
            )
        try:
            response = await write()
        except RpcTimeout:
            # Unknown outcome: keep the key claimed until the lease ends (see the module doc).
            raise
        except BaseException:
            # A refusal (validation, conflict, not found) or a failed service: nothing was
            # written, and a retry may succeed once the client, the data or the service changed.
            await run_in_threadpool(self.store.release, user_id, key)
            raise
        if response.status_code >= 500:
            await run_in_threadpool(self.store.release, user_id, key)
        else:
            await run_in_threadpool(self.store.finish, user_id, key, _stored(response))
        return response
