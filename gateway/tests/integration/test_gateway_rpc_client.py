"""The RPC client against a real nameko service on the real broker (panorama_test vhost)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gateway.context import reset_correlation_id, set_correlation_id
from gateway.metrics import RPC_LATE_REPLIES
from gateway.rpc import PikaRpcClient
from gateway.rpc_errors import RemoteServiceError, RpcTimeout, ServiceUnavailable
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.testing import TestServers, eventually

pytestmark = pytest.mark.integration
PROBE = Path(__file__).resolve().parent / "rpc_probe_service.py"
REPO = Path(__file__).resolve().parents[3]


def start_probe(name: str, amqp_url: str) -> subprocess.Popen[bytes]:
    paths = [str(REPO / p) for p in ("services/kernel", "services/customers", "gateway")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(
        [sys.executable, str(PROBE), name, amqp_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def amqp_url() -> str:
    return TestServers().rabbitmq_url


@pytest.fixture(scope="module")
def client(amqp_url: str) -> Iterator[PikaRpcClient]:
    rpc = PikaRpcClient(
        amqp_url, timeout=5.0, client_name="gateway-test", backoff_initial=0.1, backoff_max=1.0
    )
    rpc.start()
    if not rpc.wait_connected(10):
        pytest.fail(f"RabbitMQ unreachable at {amqp_url}; run deploy/local/up.sh")
    yield rpc
    rpc.stop()


@pytest.fixture(scope="module")
def service(client: PikaRpcClient, amqp_url: str) -> Iterator[str]:
    name = f"gwprobe_{uuid.uuid4().hex[:8]}"
    proc = start_probe(name, amqp_url)
    try:
        eventually(lambda: _ping(client, name), timeout=30, interval=0.2)
    except AssertionError:
        stop(proc)
        pytest.fail(
            f"probe service did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
        )
    yield name
    stop(proc)
    _delete_queue(amqp_url, f"rpc-{name}")


def _ping(client: PikaRpcClient, name: str) -> bool:
    try:
        return client.call_blocking(name, "ping", {}, timeout=1) == "pong"
    except (ServiceUnavailable, RpcTimeout):
        return False


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_round_trip_keeps_unicode_and_structure(client, service):
    value = {"name": "A科技有限公司", "tags": ["华东", "VIP"], "n": 3, "nested": {"ok": True, "none": None}}
    assert run(client.call(service, "echo", {"value": value})) == value


def test_blocking_calls_work_from_plain_threads(client, service):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: client.call_blocking(service, "echo", {"value": i}), range(40)))
    assert results == list(range(40))


def test_many_concurrent_calls_each_get_their_own_reply(client, service):
    async def burst() -> list[Any]:
        return await asyncio.gather(*(client.call(service, "echo", {"value": i}) for i in range(300)))

    assert run(burst()) == list(range(300))


@pytest.mark.parametrize(
    ("kind", "error", "fields"),
    [
        ("validation", ValidationError, [{"field": "name", "message": "must not be empty"}]),
        ("not_found", NotFound, []),
        ("permission", PermissionDenied, []),
        ("conflict", Conflict, [{"field": "version", "message": "current is 2"}]),
    ],
)
def test_typed_errors_come_back_typed(client, service, kind, error, fields):
    with pytest.raises(error) as raised:
        run(client.call(service, "fail", {"kind": kind}))
    assert type(raised.value) is error
    assert raised.value.errors == fields
    assert raised.value.detail


def test_a_crash_is_a_service_error_without_its_internals(client, service):
    with pytest.raises(RemoteServiceError) as raised:
        run(client.call(service, "fail", {"kind": "crash"}))
    assert raised.value.status == 502
    assert "boom" not in raised.value.detail
    assert raised.value.exc_type == "RuntimeError"


def test_unknown_method_and_bad_arguments_are_service_errors(client, service):
    with pytest.raises(RemoteServiceError):
        run(client.call(service, "no_such_method", {}))
    with pytest.raises(RemoteServiceError):
        run(client.call(service, "echo", {"wrong": 1}))


def test_timeout_then_the_late_reply_does_not_poison_later_calls(client, service):
    late_before = RPC_LATE_REPLIES._value.get()
    started = time.monotonic()
    with pytest.raises(RpcTimeout) as raised:
        run(client.call(service, "slow", {"seconds": 1.5, "value": "late"}, timeout=0.3))
    assert time.monotonic() - started < 1.0
    assert raised.value.status == 504
    # Next call while the slow reply is still on its way, and again after it has arrived.
    assert run(client.call(service, "echo", {"value": "fresh-1"})) == "fresh-1"
    time.sleep(1.6)
    assert run(client.call(service, "echo", {"value": "fresh-2"})) == "fresh-2"
    eventually(lambda: RPC_LATE_REPLIES._value.get() > late_before, timeout=3)


def test_a_service_nobody_ever_ran_is_unavailable_at_once(client):
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as raised:
        run(client.call(f"nosuch_{uuid.uuid4().hex[:6]}", "ping", {}))
    assert time.monotonic() - started < 1.0
    assert raised.value.status == 503
    assert "service unavailable" in raised.value.detail


def test_a_probe_of_a_service_nobody_runs_does_not_fail_a_live_one_asked_at_the_same_time(client, service):
    # Both passive declares in flight together: the 404 of the first closes its channel, which
    # once failed the second's probe too (a live service answered 503 for a moment).
    async def both() -> Any:
        client._consumers_seen_until.clear()  # both must ask the broker now
        return await asyncio.gather(
            client.call(f"nosuch_{uuid.uuid4().hex[:6]}", "ping", {}),
            client.call(service, "ping", {}),
            return_exceptions=True,
        )

    for _ in range(5):
        missing, live = run(both())
        assert isinstance(missing, ServiceUnavailable) and live == "pong", (missing, live)


def test_a_stopped_service_is_unavailable_at_once_not_after_the_timeout(client, amqp_url):
    name = f"gwprobe_{uuid.uuid4().hex[:8]}"
    proc = start_probe(name, amqp_url)
    try:
        eventually(lambda: _ping(client, name), timeout=30, interval=0.2)
    finally:
        stop(proc)
    try:
        # nameko's durable rpc-<name> queue outlives the process; the client must notice nobody consumes it.
        time.sleep(client.consumer_probe_ttl + 0.1)
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            run(client.call(name, "ping", {}, timeout=5))
        assert time.monotonic() - started < 1.0
    finally:
        _delete_queue(amqp_url, f"rpc-{name}")


def _delete_queue(amqp_url: str, queue: str) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        connection.channel().queue_delete(queue=queue)
    finally:
        connection.close()


def test_the_correlation_id_travels_in_nameko_headers(client, service):
    async def call() -> Any:
        token = set_correlation_id("req-42")
        try:
            return await client.call(service, "context_of_call", {})
        finally:
            reset_correlation_id(token)

    seen = run(call())
    assert seen["correlation_id"] == "req-42"
    assert seen["stack"] and seen["stack"][0].startswith("gateway-test.context_of_call.")


def test_reconnects_after_the_connection_drops(client, service):
    before = client.connections_made
    client.drop_connection()
    eventually(lambda: client.connections_made > before and client.connected, timeout=10)
    assert run(client.call(service, "echo", {"value": "after"})) == "after"


def test_calls_in_flight_when_the_connection_drops_fail_fast(client, service):
    async def scenario() -> None:
        pending = asyncio.ensure_future(client.call(service, "slow", {"seconds": 2, "value": "x"}, timeout=8))
        await asyncio.sleep(0.3)
        client.drop_connection()
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            await pending
        assert time.monotonic() - started < 2

    run(scenario())
    eventually(lambda: client.connected, timeout=10)
    assert run(client.call(service, "echo", {"value": "ok"})) == "ok"


def test_broker_down_is_unavailable_not_a_hang():
    rpc = PikaRpcClient("amqp://panorama:panorama@127.0.0.1:1/%2F", timeout=2, connect_grace=0.3)
    rpc.start()
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as raised:
            run(rpc.call("customers", "ping", {}))
        assert time.monotonic() - started < 1.5
        assert "broker" in raised.value.detail
        assert not run(rpc.ping("customers"))
    finally:
        rpc.stop()


def test_on_the_gateways_own_loop_calls_run_there_and_close_fails_what_is_in_flight(amqp_url, service):
    """The gateway opens the client on uvicorn's loop (no thread of its own): calls, timeouts and
    shutdown all happen on that loop."""

    async def scenario() -> None:
        rpc = PikaRpcClient(amqp_url, timeout=5.0, client_name="gateway-test-loop", connect_grace=0.2)
        await rpc.open()
        try:
            while not rpc.connected:
                await asyncio.sleep(0.02)
            assert rpc._loop is asyncio.get_running_loop()  # no loop or thread of its own
            values = await asyncio.gather(*(rpc.call(service, "echo", {"value": i}) for i in range(50)))
            assert values == list(range(50))
            with pytest.raises(RpcTimeout):
                await rpc.call(service, "slow", {"seconds": 1, "value": "late"}, timeout=0.2)
            with pytest.raises(RuntimeError, match="deadlock"):
                rpc.call_blocking(service, "ping", {})
            in_flight = asyncio.ensure_future(rpc.call(service, "slow", {"seconds": 3, "value": "x"}))
            await asyncio.sleep(0.3)
        finally:
            started = time.monotonic()
            await rpc.close()
        with pytest.raises(ServiceUnavailable):
            await in_flight
        assert time.monotonic() - started < 2
        assert not rpc.connected
        with pytest.raises(ServiceUnavailable):
            await rpc.call(service, "ping", {})

    run(scenario())
