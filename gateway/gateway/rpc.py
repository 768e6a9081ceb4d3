"""A nameko RPC client for asyncio (and plain threads), speaking the wire protocol over pika.

Why a dedicated I/O thread with a ``BlockingConnection``: pika connections are not thread-safe,
but ``add_callback_threadsafe`` is, so every caller - the uvicorn event loop, Starlette's thread
pool, the CLI - hands its publish to the one thread that owns the connection, and gets a
``concurrent.futures.Future`` back. Replies are matched to callers by ``correlation_id``; a reply
whose caller already gave up finds no entry and is dropped, so it cannot answer a later call.

Protocol (nameko 2.14, DESIGN.md §8): publish ``{"args": [], "kwargs": {...}}`` as JSON to the
durable topic exchange ``nameko-rpc`` with routing key ``<service>.<method>``, ``reply_to`` = a
routing key bound to our exclusive reply queue on the same exchange, ``correlation_id`` = call
id, and ``mandatory`` so the broker returns the message when no queue is bound. Replies are
``{"result": ..., "error": {exc_type, exc_path, exc_args, value} | null}``.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

import pika
import pika.exceptions
from kernel.errors import PanoramaError
from pika.adapters.blocking_connection import BlockingChannel

from gateway.context import get_correlation_id
from gateway.metrics import RPC_CONNECTED, RPC_DURATION, RPC_LATE_REPLIES, RPC_RECONNECTS
from gateway.rpc_errors import RemoteServiceError, RpcError, RpcTimeout, ServiceUnavailable, error_from_reply

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"


class RpcClient(Protocol):
    """What the rest of the gateway needs from an RPC client (the unit tests inject a fake)."""

    @property
    def connected(self) -> bool: ...

    async def call(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any: ...

    async def ping(self, service: str, timeout: float = 1.0) -> bool: ...


@dataclass
class _Pending:
    future: concurrent.futures.Future[Any]
    service: str
    method: str


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _reply_object_hook(obj: dict[str, Any]) -> Any:
    # kombu's JSON encoder wraps datetimes, dates, decimals and UUIDs as {"__type__", "__value__"};
    # the gateway hands values on as JSON anyway, so keep the textual form.
    if obj.keys() == {"__type__", "__value__"}:
        return obj["__value__"]
    return obj


def encode_request(kwargs: dict[str, Any]) -> bytes:
    return json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False, default=_json_default).encode(
        "utf-8"
    )


def decode_reply(service: str, method: str, body: bytes) -> Any:
    """The result of a reply, or raise the typed error it carries."""
    try:
        payload = json.loads(body.decode("utf-8"), object_hook=_reply_object_hook)
    except (UnicodeDecodeError, ValueError):
        log.error("rpc %s.%s: undecodable reply (%d bytes)", service, method, len(body))
        raise RemoteServiceError(service, method, "UndecodableReply") from None
    if not isinstance(payload, dict):
        raise RemoteServiceError(service, method, "MalformedReply")
    if payload.get("error") is not None:
        raise error_from_reply(service, method, payload["error"])
    return payload.get("result")


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, PanoramaError):
        return type(exc).__name__
    if isinstance(exc, RpcTimeout):
        return "timeout"
    if isinstance(exc, ServiceUnavailable):
        return "unavailable"
    return "error"


class PikaRpcClient:
    def __init__(
        self,
        amqp_url: str,
        *,
        timeout: float = 10.0,
        exchange: str = RPC_EXCHANGE,
        client_name: str = "gateway",
        connect_grace: float = 2.0,
        consumer_probe_ttl: float = 2.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
    ) -> None:
        self.amqp_url = amqp_url
        self.timeout = timeout
        self.exchange = exchange
        self.client_name = client_name
        self.connect_grace = connect_grace
        self.consumer_probe_ttl = consumer_probe_ttl
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max

        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        # Owned by the I/O thread; other threads only call connection.add_callback_threadsafe.
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._probe_channel: BlockingChannel | None = None
        self._reply_to = ""
        # service -> monotonic time until which "has consumers" is trusted without asking again
        self._consumers_seen_until: dict[str, float] = {}
        self.connections_made = 0
        # Publishes waiting for the I/O thread, and whether it was already woken for them: one
        # wake-up (a pipe write and a poller round on the I/O thread) serves every publish queued
        # before it runs, instead of one each.
        self._outgoing: collections.deque[Callable[[], None]] = collections.deque()
        self._flush_scheduled = False

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="rpc-io", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def drop_connection(self) -> None:
        """Sever the socket under the connection, as a broker restart or network cut would (tests)."""

        def kill() -> None:
            connection = self._connection
            transport = getattr(getattr(connection, "_impl", None), "_transport", None)
            sock = getattr(transport, "_sock", None)
            if sock is not None:
                import socket

                sock.shutdown(socket.SHUT_RDWR)

        self._submit_to_io(kill)

    # -- calling --------------------------------------------------------------------------------
    async def call(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        timeout = self.timeout if timeout is None else timeout
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            if not self._connected.is_set():
                await self._await_connection(min(self.connect_grace, timeout))
            call_id, future = self._begin(service, method, kwargs or {}, timeout)
            try:
                body = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
            except TimeoutError:
                self._forget(call_id)
                raise RpcTimeout(service, method, timeout) from None
            except asyncio.CancelledError:
                self._forget(call_id)
                raise
            return decode_reply(service, method, body)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if not isinstance(error, asyncio.CancelledError):
                RPC_DURATION.labels(service, method, _outcome(error)).observe(time.perf_counter() - started)

    def call_blocking(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """The same call for synchronous code (CLI, scripts); never call it on the event loop."""
        timeout = self.timeout if timeout is None else timeout
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            if not self._connected.is_set():
                self._connected.wait(min(self.connect_grace, timeout))
            call_id, future = self._begin(service, method, kwargs or {}, timeout)
            try:
                body = future.result(timeout)
            except concurrent.futures.TimeoutError:
                self._forget(call_id)
                raise RpcTimeout(service, method, timeout) from None
            return decode_reply(service, method, body)
        except BaseException as exc:
            error = exc
            raise
        finally:
            RPC_DURATION.labels(service, method, _outcome(error)).observe(time.perf_counter() - started)

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        try:
            return bool(await self.call(service, "ping", {}, timeout=timeout) == "pong")
        except (RpcError, PanoramaError):
            return False

    async def _await_connection(self, grace: float) -> None:
        deadline = time.monotonic() + grace
        while not self._connected.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def _begin(
        self, service: str, method: str, kwargs: dict[str, Any], timeout: float
    ) -> tuple[str, concurrent.futures.Future[Any]]:
        call_id = str(uuid.uuid4())
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        body = encode_request(kwargs)  # a payload we cannot encode is our bug: raise before queueing
        correlation_id = get_correlation_id() or call_id
        headers = {
            # nameko strips the "nameko." prefix into the worker's context_data, where the
            # services' Observability picks up correlation_id for their logs.
            "nameko.correlation_id": correlation_id,
            "nameko.call_id_stack": [f"{self.client_name}.{method}.{call_id}"],
        }
        with self._lock:
            self._pending[call_id] = _Pending(future, service, method)
        publish = partial(self._publish, call_id, service, method, body, headers, timeout)
        if not self._connected.is_set() or not self._queue_publish(publish):
            self._fail(call_id, ServiceUnavailable(service, method, "message broker unavailable"))
        return call_id, future

    def _queue_publish(self, publish: Callable[[], None]) -> bool:
        # Append before looking at the flag, and the I/O thread clears the flag before draining:
        # a publish seeing the flag set was appended before that drain, which will run it.
        self._outgoing.append(publish)
        if self._flush_scheduled:
            return True
        self._flush_scheduled = True
        if self._submit_to_io(self._flush_outgoing):
            return True
        self._flush_scheduled = False  # left in the queue, it is skipped: its call has failed
        return False

    def _flush_outgoing(self) -> None:
        self._flush_scheduled = False
        outgoing = self._outgoing
        while outgoing:
            outgoing.popleft()()

    def _submit_to_io(self, callback: Callable[[], None]) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            connection.add_callback_threadsafe(callback)
        except Exception:  # closed or closing; the I/O thread is reconnecting
            return False
        return True

    def _forget(self, call_id: str) -> None:
        with self._lock:
            self._pending.pop(call_id, None)

    def _take(self, call_id: str | None) -> _Pending | None:
        if call_id is None:
            return None
        with self._lock:
            return self._pending.pop(call_id, None)

    def _fail(self, call_id: str, exc: BaseException) -> None:
        pending = self._take(call_id)
        if pending is not None:
            _settle(pending.future, exc=exc)

    def _wake(self) -> None:
        self._submit_to_io(lambda: None)

    # -- the I/O thread -------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.backoff_initial
        while not self._stopping.is_set():
            try:
                self._connect()
                backoff = self.backoff_initial
                while not self._stopping.is_set():
                    assert self._connection is not None
                    self._connection.process_data_events(time_limit=1)
            except Exception as exc:
                if not self._stopping.is_set():
                    log.warning("rpc broker connection lost or refused (%s); retrying in %.1fs", exc, backoff)
            finally:
                self._disconnect()
            if self._stopping.wait(backoff):
                break
            backoff = min(backoff * 2, self.backoff_max)

    def _connect(self) -> None:
        params = pika.URLParameters(self.amqp_url)
        params.heartbeat = 30
        params.blocked_connection_timeout = 30
        params.client_properties = {"connection_name": f"{self.client_name}-rpc"}
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        # Same arguments nameko declares the exchange with, so whoever starts first wins harmlessly.
        channel.exchange_declare(exchange=self.exchange, exchange_type="topic", durable=True)
        reply_queue = f"rpc.reply-{self.client_name}-{uuid.uuid4()}"
        channel.queue_declare(queue=reply_queue, exclusive=True, auto_delete=True)
        channel.queue_bind(queue=reply_queue, exchange=self.exchange, routing_key=reply_queue)
        channel.basic_consume(queue=reply_queue, on_message_callback=self._on_reply, auto_ack=True)
        channel.add_on_return_callback(self._on_return)
        self._connection = connection
        self._channel = channel
        self._probe_channel = None
        self._reply_to = reply_queue
        self._consumers_seen_until.clear()
        # A wake-up queued on the previous connection died with it; what it would have published
        # belongs to calls already failed by ``_disconnect`` (``_publish`` skips them).
        self._outgoing.clear()
        self._flush_scheduled = False
        self.connections_made += 1
        RPC_RECONNECTS.inc()
        RPC_CONNECTED.set(1)
        self._connected.set()
        log.info("rpc client connected to the broker (reply queue %s)", reply_queue)

    def _disconnect(self) -> None:
        self._connected.clear()
        RPC_CONNECTED.set(0)
        connection, self._connection = self._connection, None
        self._channel = None
        self._probe_channel = None
        if connection is not None and connection.is_open:
            # A broken connection may fail to close; it is gone either way.
            with contextlib.suppress(Exception):
                connection.close()
        # The exclusive reply queue died with the connection: nothing in flight can be answered.
        with self._lock:
            orphans = list(self._pending.values())
            self._pending.clear()
        for pending in orphans:
            _settle(
                pending.future,
                exc=ServiceUnavailable(pending.service, pending.method, "message broker connection lost"),
            )

    def _publish(
        self, call_id: str, service: str, method: str, body: bytes, headers: dict[str, Any], timeout: float
    ) -> None:
        with self._lock:
            if call_id not in self._pending:
                return  # the caller gave up before we got to it
        if not self._has_consumers(service):
            self._fail(call_id, ServiceUnavailable(service, method))
            return
        assert self._channel is not None
        properties = pika.BasicProperties(
            content_type="application/json",  # nameko drops anything else
            content_encoding="utf-8",
            reply_to=self._reply_to,
            correlation_id=call_id,
            headers=headers,
            delivery_mode=pika.DeliveryMode.Transient,
            # A request nobody picked up in time must not run later, after its caller gave up.
            expiration=str(max(1, int(timeout * 1000))),
        )
        self._channel.basic_publish(
            exchange=self.exchange,
            routing_key=f"{service}.{method}",
            body=body,
            properties=properties,
            mandatory=True,
        )

    def _has_consumers(self, service: str) -> bool:
        """Is anybody serving ``rpc-<service>``? nameko's queue is durable and outlives its service,
        so ``mandatory`` alone would let calls to a stopped service wait for their timeout."""
        now = time.monotonic()
        if self._consumers_seen_until.get(service, 0.0) > now:
            return True
        assert self._connection is not None
        try:
            if self._probe_channel is None or not self._probe_channel.is_open:
                self._probe_channel = self._connection.channel()
            frame = self._probe_channel.queue_declare(queue=f"rpc-{service}", passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            self._probe_channel = None  # 404: the queue does not exist, nobody ever served it
            return False
        if frame.method.consumer_count > 0:
            self._consumers_seen_until[service] = now + self.consumer_probe_ttl
            return True
        return False

    def _on_reply(
        self, channel: BlockingChannel, deliver: Any, properties: pika.BasicProperties, body: bytes
    ) -> None:
        pending = self._take(properties.correlation_id)
        if pending is None:
            RPC_LATE_REPLIES.inc()
            log.info("rpc dropped a late reply (correlation id %s)", properties.correlation_id)
            return
        _settle(pending.future, result=body)

    def _on_return(
        self, channel: BlockingChannel, returned: Any, properties: pika.BasicProperties, body: bytes
    ) -> None:
        pending = self._take(properties.correlation_id)
        if pending is not None:
            self._consumers_seen_until.pop(pending.service, None)
            _settle(pending.future, exc=ServiceUnavailable(pending.service, pending.method))


def _settle(
    future: concurrent.futures.Future[Any], *, result: Any = None, exc: BaseException | None = None
) -> None:
    # The caller may have cancelled the future (timeout) between our lookup and now.
    try:
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)
    except concurrent.futures.InvalidStateError:
        pass
