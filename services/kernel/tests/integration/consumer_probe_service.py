"""A small nameko service consuming ``probe_src`` events with ``@idempotent_event_handler``.

Run as ``python consumer_probe_service.py <amqp-url> <database-url>``. The event's ``data`` steers
it: ``fail_times`` N fails the first N attempts, ``fail_always`` fails every one. Attempts are
counted in ``probe_attempts`` outside the handler's transaction (a failed attempt's own writes
roll back); applied events land in ``probe_state`` / ``probe_applied`` inside it.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from consumer_probe_schema import TABLES, probe_applied, probe_attempts, probe_state  # noqa: E402
from kernel.consumer import RetryPolicy  # noqa: E402
from kernel.envelope import Envelope  # noqa: E402
from kernel.event_handlers import idempotent_event_handler  # noqa: E402
from kernel.nameko_ext import Database, run_service  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.dialects.postgresql import insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)


class ConsumerProbe:
    name = "consumer_probe"
    db = Database()

    @idempotent_event_handler("probe_src", "thing.changed", tables=TABLES, units=None, retry=FAST_RETRY)
    def on_thing_changed(self, session: Session, event: Envelope) -> None:
        attempts = self._count_attempt(event.id)
        if event.data.get("fail_always") or attempts <= int(event.data.get("fail_times", 0)):
            session.execute(text("SELECT 1"))  # the failed attempt did start its transaction
            raise RuntimeError(f"probe failure on attempt {attempts}")
        session.execute(
            insert(probe_state)
            .values(
                aggregate_id=event.aggregate.id, value=event.data["value"], version=event.aggregate.version
            )
            .on_conflict_do_update(
                index_elements=["aggregate_id"],
                set_={"value": event.data["value"], "version": event.aggregate.version},
            )
        )
        session.execute(
            probe_applied.insert().values(
                event_id=event.id, aggregate_id=event.aggregate.id, version=event.aggregate.version
            )
        )

    def _count_attempt(self, event_id: str) -> int:
        with self.db() as counter:  # its own transaction: survives the handler's rollback
            stmt = insert(probe_attempts).values(event_id=event_id, attempts=1)
            upsert = stmt.on_conflict_do_update(
                index_elements=["event_id"], set_={"attempts": probe_attempts.c.attempts + 1}
            ).returning(probe_attempts.c.attempts)
            attempts = int(counter.execute(upsert).scalar_one())
            counter.commit()
            return attempts


if __name__ == "__main__":
    amqp_url, database_url = sys.argv[1], sys.argv[2]
    # One worker: deliveries are handled in order, so a later sentinel proves earlier ones done.
    run_service(ConsumerProbe, {"AMQP_URI": amqp_url, "DATABASE_URL": database_url, "max_workers": 1})
