"""Listing and deleting a virtual host's queues, and setting its policies, through RabbitMQ's
management HTTP API.

AMQP can only declare or delete a queue it already knows by name; scratch virtual hosts (the
test suite's, the bench's) collect queues whose names nobody remembers: those of a killed test
session, or a stack's event-handler queues left behind after the stack stopped. Every event
published afterwards is stored once more in each of them, which is what makes them costly.
Tests and benches use it on loopback servers the repo provisions (management plugin on); the
migrate step sets the unrouted-events policy through it (``kernel.unrouted``).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

DEFAULT_MANAGEMENT_PORT = 15672


@dataclass(frozen=True)
class Queue:
    name: str
    consumers: int
    messages: int


class BrokerAdmin:
    """The management API of the broker behind ``amqp_url``, confined to that URL's vhost."""

    def __init__(self, amqp_url: str, management_port: int | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(amqp_url)
        port = management_port or int(
            os.environ.get("PANORAMA_RABBITMQ_MANAGEMENT_PORT", DEFAULT_MANAGEMENT_PORT)
        )
        self.base = f"http://{parts.hostname or '127.0.0.1'}:{port}/api"
        self.vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        credentials = f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}"
        self._auth = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.timeout = timeout
        self.amqp_url = amqp_url

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", self._auth)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def queues(self, prefix: str = "") -> list[Queue]:
        rows = self._request("GET", f"/queues/{quote(self.vhost, safe='')}?columns=name,consumers,messages")
        return [
            Queue(row["name"], int(row.get("consumers") or 0), int(row.get("messages") or 0))
            for row in rows
            if row["name"].startswith(prefix)
        ]

    def set_policy(self, name: str, pattern: str, definition: dict[str, Any], *, apply_to: str) -> None:
        """Create or replace policy ``name`` of this vhost (AMQP has no verb for policies)."""
        body = {"pattern": pattern, "definition": definition, "apply-to": apply_to, "priority": 0}
        self._request("PUT", f"/policies/{quote(self.vhost, safe='')}/{quote(name, safe='')}", body)

    def exchange_policy(self, exchange: str) -> str | None:
        """The name of the policy applied to ``exchange`` (policies take effect asynchronously)."""
        found = self._request("GET", f"/exchanges/{quote(self.vhost, safe='')}/{quote(exchange, safe='')}")
        return found.get("policy") or None

    def delete_policy(self, name: str) -> None:
        self._request("DELETE", f"/policies/{quote(self.vhost, safe='')}/{quote(name, safe='')}")

    def delete_queues(self, prefix: str = "", *, unused_only: bool = False) -> list[Queue]:
        """Delete this vhost's queues named ``prefix``…; ``unused_only``: only those nobody consumes.
        Returns what was deleted, with the messages it held.

        The listing comes from the management API (its figures lag by the statistics interval);
        the deletions go over AMQP, where the broker itself checks ``if_unused`` at that moment."""
        import pika
        import pika.exceptions

        names = [queue.name for queue in self.queues(prefix)]
        if not names:
            return []
        deleted = []
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        try:
            channel = connection.channel()
            for name in names:
                try:
                    frame = channel.queue_delete(name, if_unused=unused_only)
                except pika.exceptions.ChannelClosedByBroker:  # in use (406) or gone meanwhile (404)
                    channel = connection.channel()
                    continue
                deleted.append(Queue(name, 0, int(frame.method.message_count)))
        finally:
            if connection.is_open:
                connection.close()
        return deleted
