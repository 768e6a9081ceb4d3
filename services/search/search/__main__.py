"""``python -m search``: run the nameko ``search`` RPC service until SIGTERM/SIGINT."""

import eventlet

eventlet.monkey_patch()  # before anything else imports socket/threading

from kernel.logs import configure_logging  # noqa: E402
from kernel.nameko_ext import run_service  # noqa: E402

from search.service import SearchService  # noqa: E402
from search.settings import SearchSettings  # noqa: E402


def nameko_config(settings: SearchSettings) -> dict[str, object]:
    return {
        "AMQP_URI": settings.rabbitmq_url,
        "max_workers": settings.max_workers,
        "METRICS_PORT": settings.search_metrics_port,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "ELASTICSEARCH_USER": settings.elasticsearch_user,
        "ELASTICSEARCH_PASSWORD": settings.elasticsearch_password,
        "ELASTICSEARCH_TIMEOUT": settings.search_es_timeout_seconds,
        "ELASTICSEARCH_RETRIES": settings.search_es_retries,
        "SEARCH_ALIAS": settings.search_alias,
        "SEARCH_INDEX": {
            "refresh_interval": settings.search_refresh_interval,
            "shards": settings.search_shards,
            "replicas": settings.search_replicas,
        },
    }


def main() -> None:
    settings = SearchSettings()
    settings.refuse_dev_secrets()
    configure_logging("search", settings.log_level, settings.log_json)
    service_cls: type = SearchService
    if settings.search_service_name != SearchService.name:
        service_cls = type("SearchService", (SearchService,), {"name": settings.search_service_name})
    run_service(service_cls, nameko_config(settings))


if __name__ == "__main__":
    main()
