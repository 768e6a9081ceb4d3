#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs (if missing) and starts (if not running) PostgreSQL, RabbitMQ and Elasticsearch
# on 127.0.0.1 for Panorama development, waits until each is ready, prints where they listen.
# Idempotent: a second run only confirms. Settings: deploy/local/env.sh. See README.md.
#
#   deploy/local/up.sh            # then: source deploy/local/env.sh

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "${PANORAMA_LIB_DIR}/postgres.sh"
# shellcheck source=lib/rabbitmq.sh
source "${PANORAMA_LIB_DIR}/rabbitmq.sh"
# shellcheck source=lib/elasticsearch.sh
source "${PANORAMA_LIB_DIR}/elasticsearch.sh"

started_at=${SECONDS}

# Packages/downloads one after the other (dpkg lock), then start all three so their boot
# times overlap (Elasticsearch is the slowest and starts in the background), then wait.
postgres_install
rabbitmq_install
elasticsearch_install
# The CJK TrueType font the sales service embeds in quote PDFs (sales/domain/pdf.py).
apt_install fonts-wqy-microhei

elasticsearch_start
postgres_start
rabbitmq_start

postgres_wait
rabbitmq_wait
elasticsearch_wait

postgres_summary
rabbitmq_summary
elasticsearch_summary
log "all up in $((SECONDS - started_at))s (state ${PANORAMA_STATE_DIR}, logs ${PANORAMA_LOG_DIR}); use: source $(realpath --relative-to="${OLDPWD:-$PWD}" "${PANORAMA_LOCAL_DIR}/env.sh" 2>/dev/null || echo "${PANORAMA_LOCAL_DIR}/env.sh")"
