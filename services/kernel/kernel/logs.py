"""Structured JSON logs carrying the correlation id of the request being served."""

from __future__ import annotations

import logging
import sys
import threading

from pythonjsonlogger.json import JsonFormatter

# threading.local is made green by eventlet's monkey-patching, so in a nameko service each
# worker greenthread sees its own value; in plain threads it is per thread.
_context = threading.local()


def set_correlation_id(value: str | None) -> None:
    _context.correlation_id = value


def get_correlation_id() -> str | None:
    return getattr(_context, "correlation_id", None)


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = get_correlation_id()
        return True


def configure_logging(service: str, level: str = "INFO", json_output: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_output:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s")
        )
    handler.addFilter(_CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("pika", "elastic_transport", "kombu", "amqp", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
