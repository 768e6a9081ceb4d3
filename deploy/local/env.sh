# shellcheck shell=bash
# Panorama local development environment: connection settings for the servers that
# deploy/local/up.sh installs and starts on loopback.
#
# Usage:  source deploy/local/env.sh
#
# Every variable keeps a value that is already set in the environment, so CI or a developer
# can override any of them before sourcing. The provisioning scripts (up.sh and lib/*.sh)
# create users/databases from the component variables (…_HOST/_PORT/_USER/_PASSWORD); the
# *_URL variables are derived from them unless set explicitly.
#
# This file is sourced into interactive shells: it must not use `set -e`, `exit`, or
# change shell options.

# --- state: data, logs, downloads -------------------------------------------------------
# Root (the provisioning scripts always run as root) or an existing machine-wide state dir:
# /var/lib/panorama-local; otherwise (a non-root shell on a machine never provisioned) a
# per-user cache dir.
if [ -z "${PANORAMA_STATE_DIR:-}" ]; then
    if [ "$(id -u)" = 0 ] || [ -d /var/lib/panorama-local ]; then
        PANORAMA_STATE_DIR=/var/lib/panorama-local
    else
        PANORAMA_STATE_DIR="${HOME:-/tmp}/.cache/panorama"
    fi
fi
: "${PANORAMA_LOG_DIR:=${PANORAMA_STATE_DIR}/logs}"
: "${PANORAMA_CACHE_DIR:=${PANORAMA_STATE_DIR}/cache}"
export PANORAMA_STATE_DIR PANORAMA_LOG_DIR PANORAMA_CACHE_DIR

# --- RabbitMQ ---------------------------------------------------------------------------
: "${PANORAMA_RABBITMQ_HOST:=127.0.0.1}"
: "${PANORAMA_RABBITMQ_PORT:=5672}"
: "${PANORAMA_RABBITMQ_USER:=panorama}"
: "${PANORAMA_RABBITMQ_PASSWORD:=panorama}"
: "${PANORAMA_RABBITMQ_MANAGEMENT_PORT:=15672}"
# Virtual hosts for the test suite and the benchmarks (space-separated).
: "${PANORAMA_RABBITMQ_EXTRA_VHOSTS:=panorama_test panorama_bench}"
: "${PANORAMA_TEST_RABBITMQ_URL:=amqp://${PANORAMA_RABBITMQ_USER}:${PANORAMA_RABBITMQ_PASSWORD}@${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_PORT}/panorama_test}"
# vhost "/" is written %2F in an AMQP URL.
: "${PANORAMA_RABBITMQ_URL:=amqp://${PANORAMA_RABBITMQ_USER}:${PANORAMA_RABBITMQ_PASSWORD}@${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_PORT}/%2F}"
export PANORAMA_RABBITMQ_HOST PANORAMA_RABBITMQ_PORT PANORAMA_RABBITMQ_USER \
    PANORAMA_RABBITMQ_PASSWORD PANORAMA_RABBITMQ_MANAGEMENT_PORT PANORAMA_RABBITMQ_URL \
    PANORAMA_RABBITMQ_EXTRA_VHOSTS PANORAMA_TEST_RABBITMQ_URL

# --- Elasticsearch ----------------------------------------------------------------------
: "${PANORAMA_ELASTICSEARCH_HOST:=127.0.0.1}"
: "${PANORAMA_ELASTICSEARCH_PORT:=9200}"
: "${PANORAMA_ELASTICSEARCH_URL:=http://${PANORAMA_ELASTICSEARCH_HOST}:${PANORAMA_ELASTICSEARCH_PORT}}"
# HTTP basic auth (file-realm superuser, see README.md "Elasticsearch security").
: "${PANORAMA_ELASTICSEARCH_USER:=panorama}"
: "${PANORAMA_ELASTICSEARCH_PASSWORD:=panorama}"
: "${PANORAMA_ES_VERSION:=8.19.21}"
: "${PANORAMA_ES_HEAP:=2g}"
export PANORAMA_ELASTICSEARCH_HOST PANORAMA_ELASTICSEARCH_PORT PANORAMA_ELASTICSEARCH_URL \
    PANORAMA_ELASTICSEARCH_USER PANORAMA_ELASTICSEARCH_PASSWORD PANORAMA_ES_VERSION PANORAMA_ES_HEAP

# --- PostgreSQL -------------------------------------------------------------------------
: "${PANORAMA_POSTGRES_HOST:=127.0.0.1}"
: "${PANORAMA_POSTGRES_PORT:=5432}"
: "${PANORAMA_POSTGRES_USER:=panorama}"
: "${PANORAMA_POSTGRES_PASSWORD:=panorama}"
export PANORAMA_POSTGRES_HOST PANORAMA_POSTGRES_PORT PANORAMA_POSTGRES_USER PANORAMA_POSTGRES_PASSWORD

# The databases (PANORAMA_POSTGRES_DATABASES, space-separated, each owned by
# PANORAMA_POSTGRES_USER; PANORAMA_POSTGRES_TRGM_DATABASES get pg_trgm) and the
# PANORAMA_<NAME>_DATABASE_URL / PANORAMA_TEST_<NAME>_DATABASE_URL of every service come from the
# service registry (services/kernel/kernel/registry.py; stdlib only, any python3 reads it). Its
# output is `: "${VAR:=default}"` lines, so values set before sourcing still win.
_panorama_pg="postgresql+psycopg2://${PANORAMA_POSTGRES_USER}:${PANORAMA_POSTGRES_PASSWORD}@${PANORAMA_POSTGRES_HOST}:${PANORAMA_POSTGRES_PORT}"
_panorama_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if _panorama_registry="$(PYTHONPATH="${_panorama_root}/services/kernel" "${PANORAMA_PYTHON:-python3}" -m kernel.registry shell-env)"; then
    eval "${_panorama_registry}"
else
    echo "deploy/local/env.sh: could not read the service registry (python3 -m kernel.registry shell-env)" >&2
fi
# Alias used by bench/ (same database as PANORAMA_TEST_BENCH_DATABASE_URL).
: "${PANORAMA_BENCH_DATABASE_URL:=${PANORAMA_TEST_BENCH_DATABASE_URL:-}}"
export PANORAMA_BENCH_DATABASE_URL
unset _panorama_pg _panorama_root _panorama_registry
