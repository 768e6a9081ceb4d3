"""pytest picks fixtures up from here; they live in search_testkit.py (uniquely named, so type
checkers and other suites never confuse it with another service's conftest)."""

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path; our helpers live next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_testkit import (  # noqa: F401  (fixtures)
    amqp,
    engine,
    es,
    indexers,
    logs_dir,
    publish,
    search_settings,
    servers,
    spawn,
)
