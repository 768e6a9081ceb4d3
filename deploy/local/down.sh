#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops Elasticsearch, RabbitMQ and PostgreSQL started by up.sh. Idempotent; data is kept.
#
#   deploy/local/down.sh

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "${PANORAMA_LIB_DIR}/postgres.sh"
# shellcheck source=lib/rabbitmq.sh
source "${PANORAMA_LIB_DIR}/rabbitmq.sh"
# shellcheck source=lib/elasticsearch.sh
source "${PANORAMA_LIB_DIR}/elasticsearch.sh"

elasticsearch_down
rabbitmq_down
postgres_down
log "all stopped (data kept in ${PANORAMA_STATE_DIR}, /var/lib/postgresql, /var/lib/rabbitmq)"
