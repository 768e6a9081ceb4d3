"""nameko's log of an expected error (a caller's mistake) is one INFO line, an unexpected one keeps
its traceback."""

import logging
import sys

import pytest
from kernel import nameko_ext  # noqa: F401  (installs the filter on nameko's container logger)
from kernel.errors import Conflict


def _exc_info(exc: BaseException):  # type: ignore[no-untyped-def]
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


def test_an_expected_error_is_one_info_line_and_an_unexpected_one_keeps_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("nameko.containers")  # where nameko's ServiceContainer logs them
    with caplog.at_level(logging.DEBUG, logger="nameko.containers"):
        log.warning(
            "(expected) error handling worker %s: %s",
            "<WorkerContext [customers.create_customer]>",
            "a customer with this tax id exists",
            exc_info=_exc_info(Conflict("a customer with this tax id exists")),
        )
        log.exception(
            "error handling worker %s: %s", "<WorkerContext>", "boom", exc_info=_exc_info(KeyError("x"))
        )
    expected, unexpected = caplog.records
    assert (expected.levelname, expected.exc_info) == ("INFO", None)
    assert "a customer with this tax id exists" in expected.getMessage()
    assert unexpected.levelname == "ERROR" and unexpected.exc_info is not None
