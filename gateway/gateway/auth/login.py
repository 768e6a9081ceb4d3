"""Logging in: credentials checked under the failed-login throttle (API and login page alike)."""

from __future__ import annotations

from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord, normalize_username
from gateway.auth.throttle import LoginThrottle
from gateway.errors import TooManyRequests, Unauthenticated
from gateway.metrics import LOGIN_FAILURES


def login(
    directory: Directory, throttle: LoginThrottle, username: str, password: str, address: str
) -> UserRecord:
    key = normalize_username(username)
    wait = throttle.retry_after(key, address)
    if wait:
        LOGIN_FAILURES.labels("throttled").inc()
        raise TooManyRequests(f"too many failed logins; try again in {wait} s", retry_after=wait)
    user = directory.authenticate(username, password)
    if user is None:
        throttle.record_failure(key, address)
        LOGIN_FAILURES.labels("bad_credentials").inc()
        raise Unauthenticated("wrong username or password, or the account is deactivated")
    throttle.record_success(key)
    return user
