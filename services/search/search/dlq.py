"""``python -m search.dlq``: the indexer's dead letters (``kernel.dlq`` on ``search.indexer``).

    python -m search.dlq list [--limit 20]          # reason, event type, id, when; nothing moves
    python -m search.dlq requeue [--limit N]        # back to the indexer queue, oldest first

A dead letter is an event the indexer could not apply (see ``x-panorama-reason``): requeue once
the cause is fixed (a deployed builder fix, a mapping change); index writes carry external
versions, so a replay is harmless.
"""

from __future__ import annotations

import sys

from kernel.dlq import REQUEUED_HEADER, DeadLetter, depth, peek, requeue
from kernel.dlq import main as kernel_main

from search.settings import SearchSettings

__all__ = ["REQUEUED_HEADER", "DeadLetter", "depth", "main", "peek", "requeue"]


def main(argv: list[str] | None = None) -> int:
    return kernel_main(argv, prog="python -m search.dlq", queue=SearchSettings().search_queue)


if __name__ == "__main__":
    sys.exit(main())
