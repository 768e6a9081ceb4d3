"""``python -m gateway.relay``: publish the gateway's outbox (``user.upserted``) to ``identity.events``."""

from __future__ import annotations

import signal
import threading

from kernel.db import make_engine
from kernel.identity_events import IDENTITY_SOURCE
from kernel.logs import configure_logging
from kernel.relay import OutboxRelay
from prometheus_client import start_http_server

from gateway.auth.models import outbox
from gateway.settings import GatewaySettings


def build_relay(settings: GatewaySettings) -> OutboxRelay:
    return OutboxRelay(
        service=IDENTITY_SOURCE,
        engine=make_engine(settings.gateway_database_url, pool_size=2, pre_ping=False),  # run_forever retries
        table=outbox,
        rabbitmq_url=settings.rabbitmq_url,
    )


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway-relay", settings.log_level, settings.log_json)
    if settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port, addr="127.0.0.1")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    build_relay(settings).run_forever(stop)


if __name__ == "__main__":
    main()
