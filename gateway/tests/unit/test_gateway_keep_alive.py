"""``python -m gateway`` keeps idle connections open longer than a user's pause between clicks."""

from __future__ import annotations

from typing import Any

import pytest
from gateway.settings import GatewaySettings

from gateway import __main__ as entrypoint


def test_uvicorn_gets_the_configured_keep_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    settings = GatewaySettings(keep_alive_seconds=90)
    monkeypatch.setattr(entrypoint, "get_settings", lambda: settings)
    monkeypatch.setattr(entrypoint, "configure_logging", lambda *args: None)
    monkeypatch.setattr(entrypoint, "install_log_filter", lambda: None)
    monkeypatch.setattr(entrypoint, "create_app", lambda s: "app")
    monkeypatch.setattr(entrypoint.uvicorn, "run", lambda app, **kwargs: served.update(kwargs, app=app))

    entrypoint.main()

    assert served["app"] == "app" and served["timeout_keep_alive"] == 90


def test_the_default_outlasts_a_proxys_usual_idle_timeout() -> None:
    # uvicorn's own default (5 s) closed connections between two clicks of a user.
    assert GatewaySettings().keep_alive_seconds > 60
