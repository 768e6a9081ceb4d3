"""Suite-wide conventions: tests under an ``integration/`` folder need the real servers, tests
under ``tests/e2e`` the whole stack and a browser; they are marked so ``-m`` can select them."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.path)
        if "/integration/" in path:
            item.add_marker(pytest.mark.integration)
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
