"""The service packages this gateway serves: every registered service (kernel/registry.py) that
has a package under ``gateway/gateway/services/<name>/``, in registry order (the order of their
routes and pages). A new service's gateway package is picked up with no edit here."""

from __future__ import annotations

import importlib
import importlib.util

from kernel import registry

from gateway.services import ServiceModule


def _installed() -> tuple[ServiceModule, ...]:
    modules = []
    for service in registry.SERVICES:
        name = f"gateway.services.{service.name}"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name).MODULE)
    return tuple(modules)


INSTALLED: tuple[ServiceModule, ...] = _installed()
