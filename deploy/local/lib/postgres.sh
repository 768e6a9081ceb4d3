#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# PostgreSQL (Debian package, cluster "main" of the newest installed major version) on
# 127.0.0.1:${PANORAMA_POSTGRES_PORT}: role, databases, pg_trgm.
#
#   deploy/local/lib/postgres.sh [up|down|status]
#
# No systemd here: the cluster is driven with pg_ctlcluster. Cluster data stays where Debian
# puts it (/var/lib/postgresql/<ver>/main); config overrides live in
# /etc/postgresql/<ver>/main/conf.d/panorama.conf; the server log is
# ${PANORAMA_LOG_DIR}/postgresql.log (via the cluster's `log` symlink, see pg_ctlcluster(1)).

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${PANORAMA_POSTGRES_START_TIMEOUT:=60}"
PG_CLUSTER=main
PG_LOG="${PANORAMA_LOG_DIR}/postgresql.log"
PG_VERSION=""

# Newest major version that has cluster "main", else the newest installed server.
_pg_detect_version() {
    PG_VERSION=""
    if command -v pg_lsclusters >/dev/null 2>&1; then
        PG_VERSION="$(pg_lsclusters -h 2>/dev/null | awk -v c="${PG_CLUSTER}" '$2 == c {print $1}' | sort -n | tail -n1 || true)"
    fi
    if [[ -z "${PG_VERSION}" ]]; then
        PG_VERSION="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
            awk -F/ '{print $5}' | sort -n | tail -n1 || true)"
    fi
}

_pg_online() {
    [[ -n "${PG_VERSION}" ]] && pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" status >/dev/null 2>&1
}

# psql as the postgres superuser over the local socket (SQL from -c or stdin).
_pg_super() {
    runuser -u postgres -- psql -X -q -A -t -v ON_ERROR_STOP=1 -p "${PANORAMA_POSTGRES_PORT}" "$@"
}

_pg_app_login_ok() {
    PGPASSWORD="${PANORAMA_POSTGRES_PASSWORD}" PGCONNECT_TIMEOUT=3 psql -X -q -A -t \
        -h "${PANORAMA_POSTGRES_HOST}" -p "${PANORAMA_POSTGRES_PORT}" \
        -U "${PANORAMA_POSTGRES_USER}" -d "$1" -c 'SELECT 1' </dev/null >/dev/null 2>&1
}

postgres_install() {
    _pg_detect_version
    if [[ -z "${PG_VERSION}" ]]; then
        apt_install postgresql postgresql-contrib
        _pg_detect_version
    fi
    [[ -n "${PG_VERSION}" ]] || die "postgresql: no server installed after apt-get install postgresql"
    if ! pg_lsclusters -h 2>/dev/null | awk -v v="${PG_VERSION}" -v c="${PG_CLUSTER}" '$1 == v && $2 == c {f=1} END {exit !f}'; then
        log "postgresql: creating cluster ${PG_VERSION}/${PG_CLUSTER}"
        pg_createcluster --locale C.UTF-8 --encoding UTF8 -p "${PANORAMA_POSTGRES_PORT}" \
            "${PG_VERSION}" "${PG_CLUSTER}" >>"${PANORAMA_LOG_DIR}/postgresql-setup.log" 2>&1 ||
            die "postgresql: pg_createcluster failed; see ${PANORAMA_LOG_DIR}/postgresql-setup.log"
    fi
}

# Writes the config; returns 0 if anything changed (restart needed when running).
_pg_configure() {
    local conf="/etc/postgresql/${PG_VERSION}/${PG_CLUSTER}" changed=1
    # Debian's postgresql.conf ends with include_dir = 'conf.d', so these win.
    if write_if_changed "${conf}/conf.d/panorama.conf" 0644 postgres:postgres <<EOF; then changed=0; fi
# Managed by deploy/local/lib/postgres.sh (Panorama local development). Local edits are overwritten.
listen_addresses = '${PANORAMA_POSTGRES_HOST}'
port = ${PANORAMA_POSTGRES_PORT}
# many nameko workers (max_workers 50-100 per service process) each hold a connection
max_connections = 300
# light tuning for a 24 GiB / 2 core dev machine
shared_buffers = 1GB
effective_cache_size = 8GB
work_mem = 8MB
maintenance_work_mem = 256MB
wal_buffers = 16MB
max_wal_size = 2GB
checkpoint_completion_target = 0.9
random_page_cost = 1.1
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    # Server log in the Panorama log dir: pg_ctlcluster follows the cluster's `log` symlink.
    if [[ ! -e "${PG_LOG}" ]]; then
        install -m 0640 -o postgres -g postgres /dev/null "${PG_LOG}"
    fi
    if [[ "$(readlink "${conf}/log" 2>/dev/null || true)" != "${PG_LOG}" ]]; then
        ln -sfn "${PG_LOG}" "${conf}/log"
        changed=0
    fi
    # The Debian default pg_hba.conf already allows password (scram) logins from 127.0.0.1/32.
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5)' "${conf}/pg_hba.conf"; then
        printf '# added by deploy/local/lib/postgres.sh\nhost all all 127.0.0.1/32 scram-sha-256\n' >>"${conf}/pg_hba.conf"
        changed=0
    fi
    return "${changed}"
}

_pg_provision() {
    local user="${PANORAMA_POSTGRES_USER}" pw="${PANORAMA_POSTGRES_PASSWORD}"
    # Role and databases, idempotent (\gexec runs only the statements the SELECTs produce).
    _pg_super -d postgres -v user="${user}" -v pw="${pw}" -v dbs="${PANORAMA_POSTGRES_DATABASES}" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'user', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB', :'user')
  FROM pg_roles WHERE rolname = :'user' AND NOT (rolcanlogin AND rolcreatedb) \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L LOCALE %L TEMPLATE template0',
              d, :'user', 'UTF8', 'C.UTF-8')
  FROM unnest(string_to_array(:'dbs', ' ')) AS d
 WHERE d <> '' AND NOT EXISTS (SELECT FROM pg_database WHERE datname = d) \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'user')
  FROM pg_database
 WHERE datname = ANY (string_to_array(:'dbs', ' '))
   AND pg_get_userbyid(datdba) <> :'user' \gexec
SQL
    local db
    for db in ${PANORAMA_POSTGRES_TRGM_DATABASES}; do
        # pg_trgm is a trusted extension, but create it as superuser so it exists before any
        # migration runs (migrations may still say CREATE EXTENSION IF NOT EXISTS).
        _pg_super -d "${db}" -c 'SET client_min_messages = warning' \
            -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' </dev/null >/dev/null
    done
    local first="${PANORAMA_POSTGRES_DATABASES%% *}"
    if ! _pg_app_login_ok "${first}"; then
        log "postgresql: setting password of role ${user}"
        _pg_super -d postgres -v user="${user}" -v pw="${pw}" <<'SQL' >/dev/null
SELECT format('ALTER ROLE %I PASSWORD %L', :'user', :'pw') \gexec
SQL
        _pg_app_login_ok "${first}" ||
            die "postgresql: ${user} cannot log in to ${first} on ${PANORAMA_POSTGRES_HOST}:${PANORAMA_POSTGRES_PORT}; see ${PG_LOG}"
    fi
}

postgres_start() {
    local changed=1
    if _pg_configure; then changed=0; fi
    if _pg_online; then
        if [[ ${changed} -eq 0 ]]; then
            log "postgresql: configuration changed, restarting ${PG_VERSION}/${PG_CLUSTER}"
            pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" restart -m fast ||
                die "postgresql: restart failed; see ${PG_LOG}"
        else
            log "postgresql: already running (${PG_VERSION}/${PG_CLUSTER})"
        fi
    else
        log "postgresql: starting ${PG_VERSION}/${PG_CLUSTER}…"
        pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" start ||
            die "postgresql: pg_ctlcluster ${PG_VERSION} ${PG_CLUSTER} start failed; see ${PG_LOG}"
    fi
}

postgres_wait() {
    wait_for "postgresql" "${PANORAMA_POSTGRES_START_TIMEOUT}" "${PG_LOG}" \
        pg_isready -q -h "${PANORAMA_POSTGRES_HOST}" -p "${PANORAMA_POSTGRES_PORT}" -t 1
    _pg_provision
}

postgres_summary() {
    log "postgresql ready at postgresql://${PANORAMA_POSTGRES_USER}:${PANORAMA_POSTGRES_PASSWORD}@${PANORAMA_POSTGRES_HOST}:${PANORAMA_POSTGRES_PORT}/ (databases: ${PANORAMA_POSTGRES_DATABASES}; log ${PG_LOG})"
}

postgres_up() {
    postgres_install
    postgres_start
    postgres_wait
    postgres_summary
}

postgres_down() {
    _pg_detect_version
    if ! _pg_online; then
        log "postgresql: not running"
        return 0
    fi
    log "postgresql: stopping ${PG_VERSION}/${PG_CLUSTER}…"
    pg_ctlcluster "${PG_VERSION}" "${PG_CLUSTER}" stop -m fast ||
        die "postgresql: stop failed; see ${PG_LOG}"
    log "postgresql: stopped"
}

postgres_status() {
    _pg_detect_version
    if _pg_online; then
        log "postgresql: running (${PG_VERSION}/${PG_CLUSTER}) on ${PANORAMA_POSTGRES_HOST}:${PANORAMA_POSTGRES_PORT}"
    else
        log "postgresql: not running"
        return 3
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    run_main postgres "$@"
fi
