"""The gateway depends on published contracts only: never nameko/eventlet, never service internals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CHECK = """
import sys
import gateway.__main__, gateway.cli, gateway.main, gateway.seed
loaded = sorted(sys.modules)
bad = [m for m in loaded if m.split(".")[0] in {"nameko", "eventlet", "kombu", "greenlet"}]
bad += [m for m in loaded if m.startswith("customers.") and m != "customers.contracts"]
bad += [m for m in loaded if m.startswith("search.") and m != "search.contracts"]
bad += [m for m in loaded if m == "kernel.nameko_ext"]
print(",".join(bad))
"""


def test_importing_the_gateway_pulls_in_no_service_internals_or_nameko():
    paths = [str(REPO / p) for p in ("services/kernel", "services/customers", "services/search", "gateway")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    result = subprocess.run(
        [sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
