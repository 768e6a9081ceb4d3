"""The correlation id of the request being served, per asyncio task.

``kernel.logs`` keeps the id in a ``threading.local``, which is right under eventlet but wrong
on an asyncio loop where many requests share one thread; a ContextVar follows each request,
including into the thread pool (Starlette copies the context there).
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar, Token

from kernel.ids import new_id

_correlation_id: ContextVar[str | None] = ContextVar("panorama_correlation_id", default=None)
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> Token[str | None]:
    return _correlation_id.set(value)


def reset_correlation_id(token: Token[str | None]) -> None:
    _correlation_id.reset(token)


def accept_or_generate(incoming: str | None) -> str:
    """Use the caller's X-Request-ID when it is a sane token; never echo arbitrary bytes into logs."""
    if incoming and _ACCEPTABLE.match(incoming):
        return incoming
    return new_id()


class ContextCorrelationFilter(logging.Filter):
    """Runs after kernel.logs' filter and overrides its thread-local value when a request is active."""

    def filter(self, record: logging.LogRecord) -> bool:
        value = _correlation_id.get()
        if value is not None:
            record.correlation_id = value
        elif not hasattr(record, "correlation_id"):
            record.correlation_id = None
        return True


def install_log_filter() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ContextCorrelationFilter) for f in handler.filters):
            handler.addFilter(ContextCorrelationFilter())
