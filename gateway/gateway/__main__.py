"""``python -m gateway``: serve the app with uvicorn on the configured host and port."""

from __future__ import annotations

import logging

import uvicorn
from kernel.logs import configure_logging

from gateway.context import install_log_filter
from gateway.main import create_app
from gateway.settings import get_settings


def main() -> None:
    settings = get_settings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    install_log_filter()
    # The RPC client probes rpc-<service> queues passively; a 404 there is an answer ("nobody
    # serves it"), which pika would otherwise log as a warning on every probe.
    logging.getLogger("pika.channel").setLevel(logging.ERROR)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON handler; uvicorn would install its own
        access_log=False,  # ObservabilityMiddleware logs each request with its correlation id
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        timeout_keep_alive=settings.keep_alive_seconds,
    )


if __name__ == "__main__":
    main()
