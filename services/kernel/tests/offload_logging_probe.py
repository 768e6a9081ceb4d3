"""Run by test_offload: work handed off the hub logs while greenlets log too (a quote's PDF render
logs every font subset). Prints OK when every greenlet and every hand-off finished."""

import eventlet

eventlet.monkey_patch()

import logging  # noqa: E402
import sys  # noqa: E402

from kernel.logs import configure_logging  # noqa: E402
from kernel.offload import off_hub  # noqa: E402

LINES = 3000


def work() -> str:
    for i in range(LINES):
        logging.getLogger("fontTools.subset").info("in the real thread %d", i)
    return "done"


def chatter(n: int) -> None:
    for i in range(LINES):
        logging.getLogger("probe").info("greenlet %d line %d", n, i)
        eventlet.sleep(0)


if __name__ == "__main__":
    configure_logging("probe", "INFO", True)
    greenlets = [eventlet.spawn(chatter, n) for n in range(4)]
    results = [off_hub(work) for _ in range(3)]
    for greenlet in greenlets:
        greenlet.wait()
    print("OK", results, file=sys.__stdout__)
