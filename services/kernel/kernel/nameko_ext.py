"""nameko dependency providers and runner: the only kernel module that imports nameko."""

from __future__ import annotations

import functools
import inspect
import logging
import signal
import sys
import time
from typing import Any

import eventlet
import kombu.serialization
from kombu import Connection
from kombu.pools import producers
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_RETRY_POLICY,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
)
from nameko.exceptions import IncorrectSignature, UnserializableValueError, serialize
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc, get_rpc_exchange
from nameko.runners import ServiceRunner
from prometheus_client import Counter, Histogram, start_http_server
from sqlalchemy.orm import Session, sessionmaker

from kernel.db import make_engine, make_sessionmaker
from kernel.errors import ERROR_TYPES, PanoramaError
from kernel.logs import set_correlation_id

log = logging.getLogger(__name__)


def register_typed_errors() -> None:
    """Have nameko rebuild the kernel errors on the calling side, field errors included (by
    default a reply error becomes a ``RemoteError`` holding only the message): a service calling
    another (sales → customers) then handles ``Conflict`` with its ``errors`` as if raised locally."""
    from nameko.exceptions import registry

    for error_type in ERROR_TYPES.values():
        registry[f"{error_type.__module__}.{error_type.__name__}"] = error_type


register_typed_errors()


class ExpectedErrorsInOneLine(logging.Filter):
    """nameko logs every expected exception (a caller's mistake: validation, not found, conflict)
    at WARNING with its whole traceback; a day of routine 409s then buries the real warnings. Such
    a record keeps its one line (worker, message) at INFO; ``Observability`` counts it by outcome."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("nameko.containers").addFilter(ExpectedErrorsInOneLine())

RPC_REQUESTS = Counter(
    "panorama_rpc_requests_total", "Entrypoint calls by outcome", ["service", "method", "outcome"]
)
RPC_DURATION = Histogram(
    "panorama_rpc_duration_seconds",
    "Entrypoint latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_metrics_server_started = False


class ReplyingRpc(Rpc):
    """nameko's ``@rpc`` with a cheaper reply: what nameko's ``Responder`` sends, sent for less.

    nameko publishes every reply with publisher confirms (a broker round trip per call, waited on
    by the worker), persistent, through a fresh ``Publisher`` and kombu ``Connection`` object, and
    serialises the payload twice (a "can it serialise?" check, then the real publish). A reply is
    worth nothing after a broker restart (the caller's exclusive reply queue is gone with it) and
    a confirm only says the broker took it, not that the caller got it, which the caller's own
    timeout covers either way. So the reply is serialised once, published transient and without
    confirms, on one pooled producer per process; the request is acknowledged after the publish,
    as before. Same wire shape: ``{"result": ..., "error": {exc_type, exc_path, exc_args, value}}``.
    """

    def check_signature(self, args: Any, kwargs: Any) -> None:
        # nameko runs inspect.getcallargs (a fresh getfullargspec) on every call; the method's
        # signature does not change, so it is looked up once and each call only binds to it.
        signature = getattr(self, "_signature", None)
        if signature is None:
            signature = inspect.signature(getattr(self.container.service_cls, self.method_name))
            self._signature = signature
        try:
            signature.bind(None, *args, **kwargs)  # None: the unbound method's ``self``
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        result, exc_info = send_reply(self.container.config, message, result, exc_info)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


# (uri, ssl, login method) -> kombu's producer pool for replies; kept, because finding the pool
# hashes a kombu Connection's settings on every lookup.
_reply_pools: dict[tuple[str, Any, Any], Any] = {}


def _reply_pool(config: dict[str, Any]) -> Any:
    key = (
        config[AMQP_URI_CONFIG_KEY],
        repr(config.get(AMQP_SSL_CONFIG_KEY)),
        config.get(LOGIN_METHOD_CONFIG_KEY),
    )
    pool = _reply_pools.get(key)
    if pool is None:
        connection = Connection(
            key[0],
            transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": False},
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=key[2],
        )
        pool = _reply_pools[key] = producers[connection]
    return pool


def send_reply(config: dict[str, Any], message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
    """Publish the reply to ``message`` (encoded as the request was); returns what nameko's
    ``Responder.send_response`` does: the result and error the caller was sent."""
    error = serialize(exc_info[1]) if exc_info is not None else None
    serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
    try:
        content_type, encoding, body = kombu.serialization.dumps(
            {"result": result, "error": error}, serializer
        )
    except Exception:
        # As nameko: a result that cannot be serialised becomes an error the caller can read.
        exc_info = sys.exc_info()
        error = serialize(UnserializableValueError(result))
        result = None
        content_type, encoding, body = kombu.serialization.dumps({"result": None, "error": error}, serializer)
    with _reply_pool(config).acquire(block=True) as producer:
        producer.publish(
            body,
            exchange=get_rpc_exchange(config),
            routing_key=message.properties["reply_to"],
            correlation_id=message.properties.get("correlation_id"),
            content_type=content_type,
            content_encoding=encoding,
            delivery_mode=NON_PERSISTENT,
            retry=True,
            retry_policy=DEFAULT_RETRY_POLICY,
        )
    return result, exc_info


class Database(DependencyProvider):
    """Gives each worker the service's sessionmaker; the engine (and pool) is per container."""

    def __init__(self, url_key: str = "DATABASE_URL", pool_key: str = "DB_POOL_SIZE") -> None:
        self.url_key = url_key
        self.pool_key = pool_key
        self.factory: sessionmaker[Session] | None = None

    def setup(self) -> None:
        config = self.container.config
        engine = make_engine(
            config[self.url_key],
            pool_size=int(config.get(self.pool_key, 20)),
            statement_timeout_ms=config.get("DB_STATEMENT_TIMEOUT_MS"),
            lock_timeout_ms=config.get("DB_LOCK_TIMEOUT_MS"),
            prepared_writes=bool(config.get("DB_PREPARED_WRITES", True)),
        )
        self.factory = make_sessionmaker(engine)

    def stop(self) -> None:
        if self.factory is not None and self.factory.kw.get("bind") is not None:
            self.factory.kw["bind"].dispose()

    def get_dependency(self, worker_ctx: Any) -> sessionmaker[Session]:
        assert self.factory is not None
        return self.factory


# A labelled child per (service, method[, outcome]), looked up once: ``labels`` validates and
# locks on every call, a share of each RPC's CPU. Methods and outcomes are a fixed, small set.
@functools.cache
def _requests(service: str, method: str, outcome: str) -> Any:
    return RPC_REQUESTS.labels(service, method, outcome)


@functools.cache
def _duration(service: str, method: str) -> Any:
    return RPC_DURATION.labels(service, method)


class Observability(DependencyProvider):
    """RED metrics per entrypoint, correlation id in logs, and the /metrics HTTP server."""

    def setup(self) -> None:
        global _metrics_server_started
        port = int(self.container.config.get("METRICS_PORT") or 0)
        if port and not _metrics_server_started:
            start_http_server(port, addr="127.0.0.1")
            _metrics_server_started = True
        self._started: dict[int, float] = {}

    def get_dependency(self, worker_ctx: Any) -> None:
        return None

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[id(worker_ctx)] = time.perf_counter()
        # ``data``, not ``context_data``: that one copies the dict and builds the call-id stack.
        set_correlation_id(worker_ctx.data.get("correlation_id") or worker_ctx.call_id)

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(id(worker_ctx), None)
        service = self.container.service_name
        method = worker_ctx.entrypoint.method_name
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], PanoramaError):
            outcome = type(exc_info[1]).__name__  # expected, the caller's fault
        else:
            outcome = "error"
            log.error("entrypoint %s.%s failed", service, method, exc_info=exc_info)
        _requests(service, method, outcome).inc()
        if started is not None:
            _duration(service, method).observe(time.perf_counter() - started)
        set_correlation_id(None)


def run_service(service_cls: type, config: dict[str, Any]) -> None:
    """Run one nameko service until SIGTERM/SIGINT (what ``nameko run`` does, driven by settings)."""
    runner = ServiceRunner(config)
    runner.add_service(service_cls)

    def shutdown(signum: int, frame: Any) -> None:
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("service %s started", getattr(service_cls, "name", service_cls.__name__))
    runner.wait()
