"""A stand-in for a service's paged ``export`` RPC, served over the real broker by nameko.

Run as a script: FAKE_EXPORT_SERVICE_NAME names the service, FAKE_EXPORT_FILE is a JSON file
{kind: [export records]}; the cursor is the offset into that list.
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
from typing import Any  # noqa: E402

from kernel.errors import PermissionDenied  # noqa: E402
from kernel.identity import Caller  # noqa: E402
from kernel.nameko_ext import run_service  # noqa: E402
from nameko.rpc import rpc  # noqa: E402


class FakeExport:
    name = os.environ["FAKE_EXPORT_SERVICE_NAME"]

    @rpc(expected_exceptions=(PermissionDenied,))
    def export(self, caller: dict[str, Any], kind: str, cursor: str | None = None, limit: int = 500) -> Any:
        if not Caller.from_payload(caller).has("system"):
            raise PermissionDenied("export is for the system caller")
        with open(os.environ["FAKE_EXPORT_FILE"], encoding="utf-8") as handle:
            items = json.load(handle).get(kind, [])
        start = int(cursor or 0)
        end = start + limit
        return {"items": items[start:end], "next_cursor": str(end) if end < len(items) else None}


if __name__ == "__main__":
    run_service(FakeExport, {"AMQP_URI": os.environ["PANORAMA_RABBITMQ_URL"]})
