"""Suite-wide conventions: tests under an ``integration/`` folder need the real servers, tests
under ``tests/e2e`` the whole stack and a browser; they are marked so ``-m`` can select them.
Each registered service's ``tests/`` folder is importable (its ``<svc>_testkit`` helpers)."""

from __future__ import annotations

import sys

import pytest
from kernel import registry

for _service in registry.SERVICES:
    if str(_service.path / "tests") not in sys.path:
        sys.path.append(str(_service.path / "tests"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
