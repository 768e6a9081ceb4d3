#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Elasticsearch ${PANORAMA_ES_VERSION} (the integ-test-zip distribution from Maven) on
# 127.0.0.1:9200, single node, run as system user panorama-es (it refuses to run as root).
#
#   deploy/local/lib/elasticsearch.sh [up|down|status]
#
# Layout under ${PANORAMA_STATE_DIR}:
#   elasticsearch-<ver>/        unpacked distribution + its config/ (owned by panorama-es)
#   elasticsearch/data/         path.data
#   elasticsearch/elasticsearch.pid
#   logs/elasticsearch/         path.logs (logs/elasticsearch.log -> elasticsearch/panorama-local.log)
#   cache/dl/                   the downloaded zip (an existing copy in /var/cache/panorama/dl is reused)
#
# JDK: ES 8 still uses the Java security manager (removed in JDK 24) and ES 9 needs JDK 21+
# with a newer server; 8.19 is the newest line that runs on Debian 12's OpenJDK 17. A JDK
# 17-23 is picked (17 and 21 preferred); override with PANORAMA_ES_JAVA_HOME.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${PANORAMA_ES_START_TIMEOUT:=180}"
ES_USER=panorama-es
ES_VERSION="${PANORAMA_ES_VERSION}"
ES_HOME="${PANORAMA_STATE_DIR}/elasticsearch-${ES_VERSION}"
ES_VAR="${PANORAMA_STATE_DIR}/elasticsearch"
ES_DATA="${ES_VAR}/data"
ES_PIDFILE="${ES_VAR}/elasticsearch.pid"
ES_LOGS="${PANORAMA_LOG_DIR}/elasticsearch"
ES_LOG_LINK="${PANORAMA_LOG_DIR}/elasticsearch.log"
ES_STARTUP_LOG="${PANORAMA_LOG_DIR}/elasticsearch-startup.log"
ES_CLUSTER=panorama-local
ES_ZIP_NAME="elasticsearch-${ES_VERSION}.zip"
ES_DL_DIR="${PANORAMA_CACHE_DIR}/dl"
# Another download cache that may already hold the zip (set empty to always use mvn).
: "${PANORAMA_ES_SEED_DIR=/var/cache/panorama/dl}"
ES_DL_SEEDS=("${ES_DL_DIR}" "${PANORAMA_ES_SEED_DIR}")
ES_JAVA_HOME_SELECTED=""

# ---------------------------------------------------------------------------------------
# JDK

_jdk_major() { # JDK dir -> major version, from its `release` file
    local v
    v="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$1/release" 2>/dev/null | head -n1)"
    v="${v#1.}" # 1.8.0_x -> 8.0_x
    printf '%s' "${v%%[._+-]*}"
}

_es_find_jdk() {
    if [[ -n "${PANORAMA_ES_JAVA_HOME:-}" ]]; then
        [[ -x "${PANORAMA_ES_JAVA_HOME}/bin/java" ]] || die "elasticsearch: PANORAMA_ES_JAVA_HOME=${PANORAMA_ES_JAVA_HOME} has no bin/java"
        ES_JAVA_HOME_SELECTED="${PANORAMA_ES_JAVA_HOME}"
        return 0
    fi
    local -A by_major=()
    local d major
    for d in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
        [[ -n "${d}" && -x "${d}/bin/java" && -f "${d}/release" ]] || continue
        major="$(_jdk_major "${d}")"
        [[ -n "${major}" && -z "${by_major[${major}]:-}" ]] && by_major[${major}]="$(readlink -f "${d}")"
    done
    for major in 17 21 18 19 20 22 23; do
        if [[ -n "${by_major[${major}]:-}" ]]; then
            ES_JAVA_HOME_SELECTED="${by_major[${major}]}"
            return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------------------------------
# install

_es_download() {
    local d
    for d in "${ES_DL_SEEDS[@]}"; do
        if [[ -n "${d}" && -s "${d}/${ES_ZIP_NAME}" ]]; then
            ES_ZIP="${d}/${ES_ZIP_NAME}"
            return 0
        fi
    done
    apt_install maven
    install -d -m 0755 "${ES_DL_DIR}"
    local dllog="${PANORAMA_LOG_DIR}/elasticsearch-download.log"
    log "elasticsearch: downloading ${ES_ZIP_NAME} with mvn (log: ${dllog})"
    # Run from the download dir so no stray pom.xml is picked up; mvn checks the repository checksums.
    (cd "${ES_DL_DIR}" && JAVA_HOME="${ES_JAVA_HOME_SELECTED}" mvn -B -q -Dstyle.color=never dependency:copy \
        "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip" \
        "-DoutputDirectory=${ES_DL_DIR}" </dev/null) >>"${dllog}" 2>&1 ||
        die "elasticsearch: download failed; see ${dllog}"
    [[ -s "${ES_DL_DIR}/${ES_ZIP_NAME}" ]] || die "elasticsearch: ${ES_DL_DIR}/${ES_ZIP_NAME} missing after download; see ${dllog}"
    ES_ZIP="${ES_DL_DIR}/${ES_ZIP_NAME}"
}

elasticsearch_install() {
    [[ "${PANORAMA_ES_HEAP}" =~ ^[0-9]+[kKmMgG]$ ]] || die "elasticsearch: PANORAMA_ES_HEAP=${PANORAMA_ES_HEAP} must look like 2g or 512m"
    if ! _es_find_jdk; then
        apt_install openjdk-17-jre-headless
        _es_find_jdk || die "elasticsearch: no JDK 17-23 found under /usr/lib/jvm (set PANORAMA_ES_JAVA_HOME)"
    fi
    apt_install unzip curl
    ensure_system_user "${ES_USER}" "${ES_VAR}"

    if [[ ! -f "${ES_HOME}/.panorama-unpacked" ]]; then
        if _es_pid >/dev/null; then
            die "elasticsearch: a node is running but ${ES_HOME} looks incomplete; run down.sh first"
        fi
        local ES_ZIP=""
        _es_download
        log "elasticsearch: unpacking ${ES_ZIP} into ${ES_HOME}"
        local tmp="${PANORAMA_STATE_DIR}/.elasticsearch-unpack.$$"
        rm -rf "${tmp}" "${ES_HOME}"
        mkdir -p "${tmp}"
        unzip -q "${ES_ZIP}" -d "${tmp}" || die "elasticsearch: cannot unpack ${ES_ZIP} (corrupt? delete it and retry)"
        mv "${tmp}/elasticsearch-${ES_VERSION}" "${ES_HOME}"
        rm -rf "${tmp}"
        # keep the shipped config for reference; ours replaces elasticsearch.yml
        cp -p "${ES_HOME}/config/elasticsearch.yml" "${ES_HOME}/config/elasticsearch.yml.dist"
        chown -R "${ES_USER}:${ES_USER}" "${ES_HOME}"
        touch "${ES_HOME}/.panorama-unpacked"
    fi
    install -d -m 0750 -o "${ES_USER}" -g "${ES_USER}" "${ES_VAR}" "${ES_DATA}"
    install -d -m 0755 -o "${ES_USER}" -g "${ES_USER}" "${ES_LOGS}"
    ln -sfn "elasticsearch/${ES_CLUSTER}.log" "${ES_LOG_LINK}"
}

# ---------------------------------------------------------------------------------------
# config

_es_has_module() { [[ -d "${ES_HOME}/modules/$1" ]]; }

# Returns 0 if the configuration changed (restart needed when running).
_es_configure() {
    local changed=1
    # Security. This integ-test-zip ships modules/x-pack-security (plus x-pack-core, apm,
    # transport-netty4 and nothing else). Decision: security ON with HTTP basic auth and no TLS,
    # so client code always sends credentials as it must against the production cluster
    # (which also has TLS). The node binds to loopback only, hence plain HTTP here. The user
    # is a file-realm superuser (no .security index needed); production uses a scoped role.
    local security
    if _es_has_module x-pack-security; then
        security="xpack.security.enabled: true
xpack.security.http.ssl.enabled: false
xpack.security.transport.ssl.enabled: false"
    else
        # Without the module the xpack.security.* settings are unknown and ES would refuse to
        # start: run open (loopback-only dev; production is a secured cluster).
        security="# x-pack-security module not present: no authentication (loopback-only dev node)"
    fi
    if write_if_changed "${ES_HOME}/config/elasticsearch.yml" 0640 "${ES_USER}:${ES_USER}" <<EOF; then changed=0; fi
# Managed by deploy/local/lib/elasticsearch.sh (Panorama local development). Local edits are overwritten.
# Only settings of modules present in this distribution: unknown settings stop ES from starting.
cluster.name: ${ES_CLUSTER}
node.name: ${ES_CLUSTER}-1
path.data: ${ES_DATA}
path.logs: ${ES_LOGS}
network.host: ${PANORAMA_ELASTICSEARCH_HOST}
http.port: ${PANORAMA_ELASTICSEARCH_PORT}
transport.port: 9300
discovery.type: single-node
# dev disks can be nearly full; do not let the disk watermarks make indices read-only
cluster.routing.allocation.disk.threshold_enabled: false
# action.destructive_requires_name keeps its default (true): no wildcard index deletes.
${security}
EOF
    # The JIT's compiler threads. The JVM gives 2 cores 2 of them, and under load they get a thin
    # share of the CPU: after a restart, searching (4 clients) took ~90 s to reach its steady
    # ~1.2 ms of Elasticsearch CPU per search on a 2-vCPU VM, ~55 s with 6 (2026-12-03, README
    # "Operations"). Idle compiler threads exit (the count is a ceiling), so the cost is only
    # compiling sooner. From 16 cores the JVM's own default is 12 or more: left alone there.
    local compilers="${PANORAMA_ES_COMPILER_THREADS:-}"
    if [[ -z "${compilers}" && "$(nproc)" -lt 16 ]]; then compilers=6; fi
    [[ -z "${compilers}" || "${compilers}" =~ ^[0-9]+$ && "${compilers}" -ge 2 ]] ||
        die "elasticsearch: PANORAMA_ES_COMPILER_THREADS=${compilers} must be a number from 2"
    if write_if_changed "${ES_HOME}/config/jvm.options.d/panorama.options" 0644 "${ES_USER}:${ES_USER}" <<EOF; then changed=0; fi
# Managed by deploy/local/lib/elasticsearch.sh; heap from PANORAMA_ES_HEAP, JIT compiler threads
# from PANORAMA_ES_COMPILER_THREADS (empty: 6 below 16 cores, else the JVM's default)
-Xms${PANORAMA_ES_HEAP}
-Xmx${PANORAMA_ES_HEAP}
${compilers:+-XX:CICompilerCount=${compilers}}
EOF
    return "${changed}"
}

# File-realm user; the node re-reads config/users by itself, so this also works while running.
_es_ensure_user() {
    _es_has_module x-pack-security || return 0
    local users="${ES_HOME}/config/users" stamp="${ES_VAR}/.user-stamp" want
    want="$(printf '%s:%s' "${PANORAMA_ELASTICSEARCH_USER}" "${PANORAMA_ELASTICSEARCH_PASSWORD}" | sha256sum | cut -d' ' -f1)"
    if grep -q "^${PANORAMA_ELASTICSEARCH_USER}:" "${users}" 2>/dev/null; then
        [[ "$(cat "${stamp}" 2>/dev/null || true)" == "${want}" ]] && return 0
        log "elasticsearch: setting password of file-realm user ${PANORAMA_ELASTICSEARCH_USER}"
        _es_as_user "${ES_HOME}/bin/elasticsearch-users" passwd "${PANORAMA_ELASTICSEARCH_USER}" \
            -p "${PANORAMA_ELASTICSEARCH_PASSWORD}" >>"${ES_STARTUP_LOG}" 2>&1 ||
            die "elasticsearch: elasticsearch-users passwd failed; see ${ES_STARTUP_LOG}"
    else
        log "elasticsearch: creating file-realm user ${PANORAMA_ELASTICSEARCH_USER} (superuser)"
        _es_as_user "${ES_HOME}/bin/elasticsearch-users" useradd "${PANORAMA_ELASTICSEARCH_USER}" \
            -p "${PANORAMA_ELASTICSEARCH_PASSWORD}" -r superuser >>"${ES_STARTUP_LOG}" 2>&1 ||
            die "elasticsearch: elasticsearch-users useradd failed; see ${ES_STARTUP_LOG}"
    fi
    printf '%s\n' "${want}" >"${stamp}"
    chmod 0600 "${stamp}"
}

_es_as_user() {
    runuser -u "${ES_USER}" -- env -i PATH=/usr/bin:/bin HOME="${ES_VAR}" LANG=C.UTF-8 \
        ES_JAVA_HOME="${ES_JAVA_HOME_SELECTED}" ES_PATH_CONF="${ES_HOME}/config" "$@" </dev/null
}

# ---------------------------------------------------------------------------------------
# run

_es_pid() { # prints the pid if our node is running
    local pid cmdline
    pid="$(cat "${ES_PIDFILE}" 2>/dev/null || true)"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
    [[ "${cmdline}" == *org.elasticsearch.bootstrap.Elasticsearch* ]] || return 1
    printf '%s' "${pid}"
}

_es_curl() {
    local auth=()
    if _es_has_module x-pack-security; then
        auth=(-u "${PANORAMA_ELASTICSEARCH_USER}:${PANORAMA_ELASTICSEARCH_PASSWORD}")
    fi
    curl -fsS -m 10 "${auth[@]}" "$@"
}

_es_healthy() {
    _es_curl "${PANORAMA_ELASTICSEARCH_URL}/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1
}

_es_start_node() {
    if tcp_open "${PANORAMA_ELASTICSEARCH_HOST}" "${PANORAMA_ELASTICSEARCH_PORT}"; then
        die "elasticsearch: ${PANORAMA_ELASTICSEARCH_HOST}:${PANORAMA_ELASTICSEARCH_PORT} is already taken by another process (no node from ${ES_PIDFILE})"
    fi
    # Bound to loopback, ES runs in development mode: failed bootstrap checks (file
    # descriptors, vm.max_map_count) are only warnings. Raise the limits where we can anyway.
    if [[ "$(sysctl -n vm.max_map_count 2>/dev/null || echo 0)" -lt 262144 ]]; then
        sysctl -q -w vm.max_map_count=262144 >/dev/null 2>&1 || true
    fi
    log "elasticsearch: starting (JDK ${ES_JAVA_HOME_SELECTED}, heap ${PANORAMA_ES_HEAP})…"
    printf '\n=== %s starting elasticsearch %s\n' "$(date -u +%FT%TZ)" "${ES_VERSION}" >>"${ES_STARTUP_LOG}"
    rm -f "${ES_PIDFILE}"
    # -d returns once the node has started; run it in the background so the other servers
    # can start meanwhile; elasticsearch_wait polls the cluster health. cwd = log dir, where
    # the JVM writes gc.log / hs_err files.
    (
        ulimit -n 65535 2>/dev/null || true
        cd "${ES_LOGS}" || exit 1
        exec nohup runuser -u "${ES_USER}" -- env -i PATH=/usr/bin:/bin HOME="${ES_VAR}" LANG=C.UTF-8 \
            ES_JAVA_HOME="${ES_JAVA_HOME_SELECTED}" ES_PATH_CONF="${ES_HOME}/config" \
            "${ES_HOME}/bin/elasticsearch" -d -p "${ES_PIDFILE}" </dev/null
    ) >>"${ES_STARTUP_LOG}" 2>&1 &
    ES_LAUNCHER_PID=$!
}

_es_stop_node() {
    local pid
    pid="$(_es_pid)" || return 0
    kill -TERM "${pid}" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "${pid}" 2>/dev/null; then
        warn "elasticsearch: pid ${pid} did not stop within 60s, killing it"
        kill -KILL "${pid}" 2>/dev/null || true
    fi
    rm -f "${ES_PIDFILE}"
}

ES_LAUNCHER_PID=""

elasticsearch_start() {
    local changed=1
    if _es_configure; then changed=0; fi
    _es_ensure_user
    if _es_pid >/dev/null; then
        if [[ ${changed} -eq 0 ]]; then
            log "elasticsearch: configuration changed, restarting"
            _es_stop_node
            _es_start_node
        else
            log "elasticsearch: already running (pid $(_es_pid))"
        fi
    else
        _es_start_node
    fi
}

_es_ready() {
    # If the launcher already gave up, fail fast instead of waiting for the timeout.
    if [[ -n "${ES_LAUNCHER_PID}" ]] && ! kill -0 "${ES_LAUNCHER_PID}" 2>/dev/null; then
        local rc=0
        wait "${ES_LAUNCHER_PID}" || rc=$?
        ES_LAUNCHER_PID=""
        if [[ ${rc} -ne 0 ]]; then
            die "elasticsearch: failed to start (exit ${rc}); see ${ES_STARTUP_LOG} and ${ES_LOG_LINK}"
        fi
    fi
    _es_healthy
}

elasticsearch_wait() {
    local deadline=$((SECONDS + PANORAMA_ES_START_TIMEOUT))
    until _es_ready; do
        if ((SECONDS >= deadline)); then
            die "elasticsearch did not become ready within ${PANORAMA_ES_START_TIMEOUT}s; see ${ES_LOG_LINK} and ${ES_STARTUP_LOG}"
        fi
        sleep 1
    done
    if [[ -n "${ES_LAUNCHER_PID}" ]]; then
        wait "${ES_LAUNCHER_PID}" 2>/dev/null || true
        ES_LAUNCHER_PID=""
    fi
    _es_pid >/dev/null || die "elasticsearch: answers on ${PANORAMA_ELASTICSEARCH_URL} but no node from ${ES_PIDFILE}"
}

elasticsearch_summary() {
    local creds=""
    if _es_has_module x-pack-security; then
        creds=", user ${PANORAMA_ELASTICSEARCH_USER}/${PANORAMA_ELASTICSEARCH_PASSWORD}"
    fi
    log "elasticsearch ready at ${PANORAMA_ELASTICSEARCH_URL} (${ES_VERSION}${creds}, log ${ES_LOG_LINK})"
}

elasticsearch_up() {
    elasticsearch_install
    elasticsearch_start
    elasticsearch_wait
    elasticsearch_summary
}

elasticsearch_down() {
    local pid
    if ! pid="$(_es_pid)"; then
        log "elasticsearch: not running"
        return 0
    fi
    log "elasticsearch: stopping (pid ${pid})…"
    _es_stop_node
    log "elasticsearch: stopped"
}

elasticsearch_status() {
    local pid
    if pid="$(_es_pid)"; then
        log "elasticsearch: running (pid ${pid}) on ${PANORAMA_ELASTICSEARCH_URL}"
    else
        log "elasticsearch: not running"
        return 3
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    run_main elasticsearch "$@"
fi
