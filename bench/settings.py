"""The bench's one typed settings object (``PANORAMA_*`` variables, as deploy/local/env.sh sets them).

Everything the bench touches is on loopback: ``require_loopback`` refuses anything else before a
single connection is made.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit

from kernel.broker_admin import BrokerAdmin
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from search.settings import SearchSettings
from sqlalchemy.engine import make_url

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class BenchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PANORAMA_", extra="ignore")

    # PostgreSQL: the baseline tables live here (pg_trgm is installed by provisioning) …
    bench_database_url: str = "postgresql+psycopg2://panorama:panorama@127.0.0.1:5432/panorama_test_bench"
    # … and the customers service of the freshness measurement gets its own database next to it.
    bench_customers_database: str = Field(default="panorama_bench_customers", pattern=r"^[a-z_][a-z0-9_]*$")
    # … and so does the gateway of the through-the-front-door rows (reset every run).
    bench_gateway_database: str = Field(default="panorama_bench_gateway", pattern=r"^[a-z_][a-z0-9_]*$")

    # RabbitMQ: a private virtual host (created by provisioning, see bench/README.md).
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "panorama"
    rabbitmq_password: str = "panorama"
    bench_vhost: str = "panorama_bench"

    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_user: str = "panorama"
    elasticsearch_password: str = "panorama"
    bench_alias: str = Field(default="panorama-bench", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    bench_queue: str = "search.indexer"

    @property
    def rabbitmq_url(self) -> str:
        user, password = quote(self.rabbitmq_user, safe=""), quote(self.rabbitmq_password, safe="")
        vhost = quote(self.bench_vhost, safe="")
        return f"amqp://{user}:{password}@{self.rabbitmq_host}:{self.rabbitmq_port}/{vhost}"

    @property
    def customers_database_url(self) -> str:
        url = make_url(self.bench_database_url).set(database=self.bench_customers_database)
        return url.render_as_string(hide_password=False)

    @property
    def soak_database_prefix(self) -> str:
        """The soak's databases sit beside the bench customers database: panorama_bench_customers
        -> panorama_bench_soak_<owner> (so a checkout's PANORAMA_BENCH_CUSTOMERS_DATABASE keeps the
        soak's databases private too)."""
        base = self.bench_customers_database
        return (base[: -len("customers")] if base.endswith("customers") else f"{base}_") + "soak_"

    def soak_database(self, owner: str) -> str:
        """The soak stack's database of a service (or the gateway), e.g. panorama_bench_soak_sales."""
        return self.soak_database_prefix + owner.replace("-", "_")

    def soak_database_url(self, owner: str) -> str:
        url = make_url(self.bench_database_url).set(database=self.soak_database(owner))
        return url.render_as_string(hide_password=False)

    @property
    def soak_alias(self) -> str:
        """The soak stack's search alias (the bulk bench's alias is left alone)."""
        return f"{self.bench_alias}-soak"

    @property
    def soak_queue(self) -> str:
        return "soak.indexer"

    @property
    def bench_dsn(self) -> str:
        """libpq form of ``bench_database_url`` for psycopg2."""
        url = make_url(self.bench_database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def search_settings(self, alias: str, queue: str, exchanges: list[str] | None = None) -> SearchSettings:
        """The search/indexer settings of a bench stack: these servers, its own alias and queue
        (and, if given, only these exchanges bound)."""
        base = SearchSettings(
            rabbitmq_url=self.rabbitmq_url,
            elasticsearch_url=self.elasticsearch_url,
            elasticsearch_user=self.elasticsearch_user,
            elasticsearch_password=self.elasticsearch_password,
            search_alias=alias,
            search_queue=queue,
        )
        return base.model_copy(update={"search_exchanges": exchanges}) if exchanges else base

    def clear_stale_queues(self) -> list[str]:
        """Delete the bench vhost's queues that nobody consumes: what earlier runs left (a soak's
        event-handler queues, a killed run's indexer queue). Bound to the exchanges, each would
        store a copy of every event this run publishes, and the broker's CPU would be measured
        doing it. Returns their names."""
        return [queue.name for queue in BrokerAdmin(self.rabbitmq_url).delete_queues(unused_only=True)]

    def require_loopback(self) -> None:
        hosts = {
            "PostgreSQL": make_url(self.bench_database_url).host or "",
            "RabbitMQ": self.rabbitmq_host,
            "Elasticsearch": urlsplit(self.elasticsearch_url).hostname or "",
        }
        for server, host in hosts.items():
            if not is_loopback(host):
                raise SystemExit(f"bench: refusing to run against {server} at {host!r}: loopback only")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
