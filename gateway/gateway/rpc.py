"""A nameko RPC client for asyncio (and plain threads), speaking the wire protocol over pika.

The connection is a pika ``AsyncioConnection`` on the event loop that makes the calls: in the
gateway, uvicorn's. A call publishes, and its reply resolves an asyncio future, on that one
thread, with no hand-off: the client's CPU per call is ~0.28 ms where a ``BlockingConnection`` on
an I/O thread of its own took ~0.50 ms (16 concurrent callers; two thread wake-ups and GIL
hand-overs per call). Code without such a loop (the CLI, scripts, tests) calls ``start()``, which
runs the client on a loop in a thread of its own; ``call`` from another loop and
``call_blocking`` from plain threads hop onto the client's loop, so pika objects are only ever
touched there. Replies are matched to callers by ``correlation_id``; a reply whose caller already
gave up finds no entry and is dropped, so it cannot answer a later call.

Protocol (nameko 2.14, DESIGN.md §8): publish ``{"args": [], "kwargs": {...}}`` as JSON to the
durable topic exchange ``nameko-rpc`` with routing key ``<service>.<method>``, ``reply_to`` = a
routing key bound to our exclusive reply queue on the same exchange, ``correlation_id`` = call
id, and ``mandatory`` so the broker returns the message when no queue is bound. Replies are
``{"result": ..., "error": {exc_type, exc_path, exc_args, value} | null}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import pika
from kernel.errors import PanoramaError
from pika.adapters.asyncio_connection import AsyncioConnection
from pika.channel import Channel

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
    future: asyncio.Future[bytes]
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

        # Everything below but the last three is the loop's: only code running on it touches them.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._connection: AsyncioConnection | None = None
        self._channel: Channel | None = None
        # service -> its channel for passive declares: a 404 closes the channel it came on, and
        # must fail only the probe of the service nobody serves.
        self._probe_channels: dict[str, Channel] = {}
        self._probes: dict[str, asyncio.Task[bool]] = {}  # service -> the passive declare asking
        self._probe_answers: dict[str, asyncio.Future[Any]] = {}  # service -> its declare-ok, or None
        self._reply_to = ""
        self._pending: dict[str, _Pending] = {}
        # service -> monotonic time until which "has consumers" is trusted without asking again
        self._consumers_seen_until: dict[str, float] = {}
        self._connected = threading.Event()  # read from any thread
        self.connections_made = 0
        self._thread: threading.Thread | None = None  # the loop thread ``start()`` runs, if any

    # -- lifecycle ------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect from the running loop, and reconnect whenever the connection is lost, until
        ``close``."""
        if self._supervisor is not None and not self._supervisor.done():
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._supervisor = self._loop.create_task(self._supervise(), name=f"{self.client_name}-rpc")

    async def close(self) -> None:
        self._stopping = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        self._disconnect("rpc client closed")
        self._loop = None

    def start(self) -> None:
        """Run the client on an event loop in a thread of its own (for code without a loop)."""
        if self._thread is not None and self._thread.is_alive():
            return
        loop = asyncio.new_event_loop()
        opened = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.open())
            opened.set()
            loop.run_forever()
            loop.run_until_complete(self.close())
            loop.close()

        self._thread = threading.Thread(target=run, name="rpc-io", daemon=True)
        self._thread.start()
        opened.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Undo ``start``."""
        thread, self._thread = self._thread, None
        loop = self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """For threads other than the client's loop, which must not block."""
        return self._connected.wait(timeout)

    def drop_connection(self) -> None:
        """Sever the socket under the connection, as a broker restart or network cut would (tests)."""

        def kill() -> None:
            transport = getattr(self._connection, "_transport", None)
            sock = getattr(transport, "_sock", None)
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)

        if self._loop is not None:
            self._loop.call_soon_threadsafe(kill)

    # -- calling --------------------------------------------------------------------------------
    async def call(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        call = self._call(service, method, kwargs, timeout)
        loop = self._loop
        if loop is None or loop is asyncio.get_running_loop():
            return await call
        # Another loop (a test's, a script's): the call runs on the client's, which owns pika.
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, loop))

    def call_blocking(
        self, service: str, method: str, kwargs: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """The same call for synchronous code (CLI, scripts); never on the client's own loop."""
        loop = self._loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is loop:
            raise RuntimeError("call_blocking on the RPC client's own event loop would deadlock it")
        if loop is None or not loop.is_running():
            raise ServiceUnavailable(service, method, "message broker unavailable")
        return asyncio.run_coroutine_threadsafe(self._call(service, method, kwargs, timeout), loop).result()

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        try:
            return bool(await self.call(service, "ping", {}, timeout=timeout) == "pong")
        except (RpcError, PanoramaError):
            return False

    def _call(
        self, service: str, method: str, kwargs: dict[str, Any] | None, timeout: float | None
    ) -> Coroutine[Any, Any, Any]:
        # The correlation id is read here, in the caller's context: a call that hops onto the
        # client's loop runs in that loop's context.
        return self._run_call(
            service,
            method,
            kwargs or {},
            self.timeout if timeout is None else timeout,
            get_correlation_id(),
        )

    async def _run_call(
        self, service: str, method: str, kwargs: dict[str, Any], timeout: float, correlation_id: str | None
    ) -> Any:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            body = encode_request(kwargs)  # a payload we cannot encode is our bug: raise before sending
            if not self._connected.is_set():
                await self._await_connection(min(self.connect_grace, timeout))
            if not self._connected.is_set():
                raise ServiceUnavailable(service, method, "message broker unavailable")
            if not await self._has_consumers(service, method, timeout):
                raise ServiceUnavailable(service, method)
            reply = await self._request(service, method, body, timeout, correlation_id)
            return decode_reply(service, method, reply)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if not isinstance(error, asyncio.CancelledError):
                RPC_DURATION.labels(service, method, _outcome(error)).observe(time.perf_counter() - started)

    async def _await_connection(self, grace: float) -> None:
        deadline = time.monotonic() + grace
        while not self._connected.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def _request(
        self, service: str, method: str, body: bytes, timeout: float, correlation_id: str | None
    ) -> bytes:
        loop = asyncio.get_running_loop()
        call_id = str(uuid.uuid4())
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending[call_id] = _Pending(future, service, method)
        # A timer rather than asyncio.wait_for: no extra task or waiter per call.
        expiry = loop.call_later(timeout, _expire, future, service, method, timeout)
        try:
            self._publish(call_id, service, method, body, timeout, correlation_id or call_id)
            return await future
        finally:
            expiry.cancel()
            self._pending.pop(call_id, None)

    def _publish(
        self, call_id: str, service: str, method: str, body: bytes, timeout: float, correlation_id: str
    ) -> None:
        channel = self._channel
        if channel is None or not channel.is_open:
            raise ServiceUnavailable(service, method, "message broker unavailable")
        properties = pika.BasicProperties(
            content_type="application/json",  # nameko drops anything else
            content_encoding="utf-8",
            reply_to=self._reply_to,
            correlation_id=call_id,
            headers={
                # nameko strips the "nameko." prefix into the worker's context_data, where the
                # services' Observability picks up correlation_id for their logs.
                "nameko.correlation_id": correlation_id,
                "nameko.call_id_stack": [f"{self.client_name}.{method}.{call_id}"],
            },
            delivery_mode=pika.DeliveryMode.Transient,
            # A request nobody picked up in time must not run later, after its caller gave up.
            expiration=str(max(1, int(timeout * 1000))),
        )
        channel.basic_publish(
            exchange=self.exchange,
            routing_key=f"{service}.{method}",
            body=body,
            properties=properties,
            mandatory=True,
        )

    async def _has_consumers(self, service: str, method: str, timeout: float) -> bool:
        """Is anybody serving ``rpc-<service>``? nameko's queue is durable and outlives its service,
        so ``mandatory`` alone would let calls to a stopped service wait for their timeout."""
        if self._consumers_seen_until.get(service, 0.0) > time.monotonic():
            return True
        probe = self._probes.get(service)
        if probe is None:  # one passive declare answers every call waiting for it
            probe = self._probes[service] = asyncio.get_running_loop().create_task(
                self._probe_consumers(service)
            )
            probe.add_done_callback(lambda _: self._probes.pop(service, None))
        try:
            # Shielded: a caller giving up must not cancel the answer the others wait for.
            return await asyncio.wait_for(asyncio.shield(probe), timeout)
        except TimeoutError:
            raise RpcTimeout(service, method, timeout) from None

    async def _probe_consumers(self, service: str) -> bool:
        try:
            channel = self._probe_channels.get(service)
            if channel is None or not channel.is_open:
                channel = self._probe_channels[service] = await self._open_channel()
                channel.add_on_close_callback(functools.partial(self._on_probe_channel_closed, service))
            asked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._probe_answers[service] = asked
            try:
                channel.queue_declare(
                    queue=f"rpc-{service}", passive=True, callback=lambda frame: _settle(asked, result=frame)
                )
                frame = await asked
            finally:
                self._probe_answers.pop(service, None)
        except Exception:
            log.warning("rpc could not ask whether %s has consumers", service, exc_info=True)
            return False
        if frame is None or frame.method.consumer_count == 0:
            return False
        self._consumers_seen_until[service] = time.monotonic() + self.consumer_probe_ttl
        return True

    def _on_probe_channel_closed(self, service: str, channel: Channel, reason: BaseException) -> None:
        # A 404 (no such queue: nobody ever served it) closes the channel instead of answering.
        if self._probe_channels.get(service) is channel:
            del self._probe_channels[service]
        asked = self._probe_answers.get(service)
        if asked is not None:
            _settle(asked, result=None)

    def _on_reply(
        self, channel: Channel, deliver: Any, properties: pika.BasicProperties, body: bytes
    ) -> None:
        pending = self._pending.pop(properties.correlation_id or "", None)
        if pending is None:
            RPC_LATE_REPLIES.inc()
            log.info("rpc dropped a late reply (correlation id %s)", properties.correlation_id)
            return
        _settle(pending.future, result=body)

    def _on_return(
        self, channel: Channel, returned: Any, properties: pika.BasicProperties, body: bytes
    ) -> None:
        pending = self._pending.pop(properties.correlation_id or "", None)
        if pending is not None:
            self._consumers_seen_until.pop(pending.service, None)
            _settle(pending.future, exc=ServiceUnavailable(pending.service, pending.method))

    # -- the connection -------------------------------------------------------------------------
    async def _supervise(self) -> None:
        backoff = self.backoff_initial
        while not self._stopping:
            try:
                closed = await self._connect()
                backoff = self.backoff_initial
                reason = await closed
                if not self._stopping:
                    log.warning("rpc broker connection lost (%s); reconnecting in %.1fs", reason, backoff)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._stopping:
                    log.warning("rpc broker connection refused (%s); retrying in %.1fs", exc, backoff)
            finally:
                self._disconnect("message broker connection lost")
            if self._stopping:
                break
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.backoff_max)

    async def _connect(self) -> asyncio.Future[Any]:
        """Open the connection, its channel and the reply queue; returns a future that resolves
        (to the reason) when the connection closes."""
        loop = asyncio.get_running_loop()
        opened: asyncio.Future[Any] = loop.create_future()
        closed: asyncio.Future[Any] = loop.create_future()
        params = pika.URLParameters(self.amqp_url)
        params.heartbeat = 30
        params.blocked_connection_timeout = 30
        params.client_properties = {"connection_name": f"{self.client_name}-rpc"}

        def on_close(connection: Any, reason: Any) -> None:
            _settle(opened, exc=_as_error(reason))
            _settle(closed, result=reason)

        self._connection = AsyncioConnection(
            params,
            on_open_callback=lambda connection: _settle(opened, result=connection),
            on_open_error_callback=on_close,
            on_close_callback=on_close,
            custom_ioloop=loop,
        )
        await opened
        channel = self._channel = await self._open_channel()
        # Same arguments nameko declares the exchange with, so whoever starts first wins harmlessly.
        await self._answer(
            channel.exchange_declare, exchange=self.exchange, exchange_type="topic", durable=True
        )
        reply_queue = f"rpc.reply-{self.client_name}-{uuid.uuid4()}"
        await self._answer(channel.queue_declare, queue=reply_queue, exclusive=True, auto_delete=True)
        await self._answer(
            channel.queue_bind, queue=reply_queue, exchange=self.exchange, routing_key=reply_queue
        )
        channel.add_on_return_callback(self._on_return)
        await self._answer(
            channel.basic_consume, queue=reply_queue, on_message_callback=self._on_reply, auto_ack=True
        )
        self._reply_to = reply_queue
        self._consumers_seen_until.clear()
        self.connections_made += 1
        RPC_RECONNECTS.inc()
        RPC_CONNECTED.set(1)
        self._connected.set()
        log.info("rpc client connected to the broker (reply queue %s)", reply_queue)
        return closed

    async def _open_channel(self) -> Channel:
        connection = self._connection
        if connection is None or not connection.is_open:
            raise ConnectionError("no connection to the broker")
        opened: asyncio.Future[Channel] = asyncio.get_running_loop().create_future()
        connection.channel(on_open_callback=lambda channel: _settle(opened, result=channel))
        # A connection lost meanwhile never opens it: the timeout bounds the wait.
        return await asyncio.wait_for(opened, self.timeout)

    async def _answer(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        """Await a pika channel method that answers through ``callback`` (at connect time only: a
        channel that closes instead, the broker refusing, fails the connection attempt by timeout)."""
        answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        method(**kwargs, callback=lambda frame: _settle(answered, result=frame))
        return await asyncio.wait_for(answered, self.timeout)

    def _disconnect(self, why: str) -> None:
        self._connected.clear()
        RPC_CONNECTED.set(0)
        connection, self._connection = self._connection, None
        self._channel = None
        self._probe_channels.clear()
        if connection is not None and not (connection.is_closing or connection.is_closed):
            # A broken connection may fail to close; it is gone either way.
            with contextlib.suppress(Exception):
                connection.close()
        # The exclusive reply queue dies with the connection: nothing in flight can be answered.
        orphans = list(self._pending.values())
        self._pending.clear()
        for pending in orphans:
            _settle(pending.future, exc=ServiceUnavailable(pending.service, pending.method, why))


def _as_error(reason: Any) -> Exception:
    return reason if isinstance(reason, Exception) else ConnectionError(str(reason))


def _expire(future: asyncio.Future[bytes], service: str, method: str, timeout: float) -> None:
    _settle(future, exc=RpcTimeout(service, method, timeout))


def _settle(future: asyncio.Future[Any], *, result: Any = None, exc: BaseException | None = None) -> None:
    # The caller may be gone (cancelled), or another outcome got there first.
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
