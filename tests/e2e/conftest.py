from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_stack import Stack

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    stack = Stack(ARTIFACTS / "e2e-logs")
    try:
        stack.start()
    except Exception as exc:
        stack.stop()
        pytest.fail(f"could not start the Panorama stack: {exc}")
    yield stack
    stack.stop()
