"""Logging in: credentials checked under the failed-login throttle (API and login page alike)."""

from __future__ import annotations

import contextlib

from gateway.auth.directory import Directory
from gateway.auth.passwords import PasswordChecksBusy
from gateway.auth.records import UserRecord, normalize_username
from gateway.auth.throttle import LoginThrottle, Throttled
from gateway.errors import ServiceBusy, TooManyRequests, Unauthenticated
from gateway.metrics import LOGIN_FAILURES

# Seconds a client turned away by a login burst is told to wait: about what the burst takes to drain.
BUSY_RETRY_AFTER = 2


def login(
    directory: Directory, throttle: LoginThrottle, username: str, password: str, address: str
) -> UserRecord:
    key = normalize_username(username)
    try:
        # Counted before the password is looked at: parallel guesses cannot all get a verdict.
        reservation = throttle.reserve(key, address)
    except Throttled as exc:
        LOGIN_FAILURES.labels("throttled").inc()
        raise TooManyRequests(
            f"too many failed logins; try again in {exc.retry_after} s", retry_after=exc.retry_after
        ) from None
    try:
        user = directory.authenticate(username, password)
    except BaseException as exc:
        # No verdict (the database failed, or too many logins at once): the attempt must not count
        # against the user.
        with contextlib.suppress(Exception):
            throttle.release(reservation)
        if isinstance(exc, PasswordChecksBusy):
            LOGIN_FAILURES.labels("busy").inc()
            raise ServiceBusy(
                f"too many logins at once; try again in {BUSY_RETRY_AFTER} s", retry_after=BUSY_RETRY_AFTER
            ) from None
        raise
    if user is None:
        LOGIN_FAILURES.labels("bad_credentials").inc()
        raise Unauthenticated("wrong username or password, or the account is deactivated")
    throttle.succeeded(reservation)
    return user
