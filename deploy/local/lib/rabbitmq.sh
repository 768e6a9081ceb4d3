#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# RabbitMQ (Debian package rabbitmq-server) on loopback: AMQP 127.0.0.1:5672, management UI
# 127.0.0.1:15672, Prometheus metrics 127.0.0.1:15692, epmd and Erlang distribution on
# 127.0.0.1 only. User ${PANORAMA_RABBITMQ_USER} (administrator, all permissions on vhost "/");
# the default guest user is deleted (production has none, so nothing may rely on it).
#
#   deploy/local/lib/rabbitmq.sh [up|down|status]
#
# No init system here: the package is installed with service start-up suppressed and the
# node is started with `rabbitmq-server -detached` (the Debian wrapper drops to the rabbitmq
# user). Config: /etc/rabbitmq/{rabbitmq-env.conf,rabbitmq.conf,enabled_plugins}, which the
# Debian CLI tools read too, so plain `rabbitmqctl status` works. Data: /var/lib/rabbitmq.
# Log: ${PANORAMA_LOG_DIR}/rabbitmq.log.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${PANORAMA_RABBITMQ_START_TIMEOUT:=120}"
RMQ_LOG="${PANORAMA_LOG_DIR}/rabbitmq.log"
RMQ_STARTUP_LOG="${PANORAMA_LOG_DIR}/rabbitmq-startup.log"
RMQ_ETC=/etc/rabbitmq
RMQ_MGMT_URL="http://${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_MANAGEMENT_PORT}"

_rmq() { "$@" </dev/null; }

_rmq_running() {
    command -v rabbitmq-diagnostics >/dev/null 2>&1 && _rmq rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

rabbitmq_install() {
    apt_install rabbitmq-server
    # curl is used for the management-API checks below.
    apt_install curl
}

# Returns 0 if the configuration changed (restart needed when running).
_rmq_configure() {
    local changed=1
    if write_if_changed "${RMQ_ETC}/rabbitmq-env.conf" 0644 root:rabbitmq <<EOF; then changed=0; fi
# Managed by deploy/local/lib/rabbitmq.sh (Panorama local development). Local edits are overwritten.
# Sourced by the rabbitmq-server and CLI scripts.
NODENAME=rabbit@localhost
LOGS=${RMQ_LOG}
# epmd is started by the first Erlang node and inherits this: listen on loopback only.
ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_ADDRESS
# No scheduler busy-waiting: by default an idle Erlang scheduler spins before it sleeps, which on
# a small box shared with the services and Elasticsearch is CPU taken from them for nothing
# (RabbitMQ's runtime guide recommends this for hosts that run other work).
SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none"
EOF
    if write_if_changed "${RMQ_ETC}/rabbitmq.conf" 0644 root:rabbitmq <<EOF; then changed=0; fi
# Managed by deploy/local/lib/rabbitmq.sh (Panorama local development). Local edits are overwritten.
listeners.tcp.1 = ${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_PORT}
# inter-node / CLI distribution port (25672) on loopback only
distribution.listener.interface = 127.0.0.1
management.tcp.ip = 127.0.0.1
management.tcp.port = ${PANORAMA_RABBITMQ_MANAGEMENT_PORT}
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = 15692
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
    # rabbitmq-plugins (run as rabbitmq) must be able to rewrite this file.
    if write_if_changed "${RMQ_ETC}/enabled_plugins" 0644 rabbitmq:rabbitmq <<'EOF'; then changed=0; fi
[rabbitmq_management,rabbitmq_prometheus].
EOF
    if [[ ! -e "${RMQ_LOG}" ]]; then
        install -m 0640 -o rabbitmq -g rabbitmq /dev/null "${RMQ_LOG}"
    fi
    return "${changed}"
}

_rmq_kill_idle_epmd() {
    command -v epmd >/dev/null 2>&1 || return 0
    local names
    names="$(epmd -names 2>/dev/null)" || return 0 # no epmd running
    # only when no node is registered
    if ! grep -q '^name ' <<<"${names}"; then
        epmd -kill >/dev/null 2>&1 || true
    fi
}

_rmq_start_node() {
    if tcp_open "${PANORAMA_RABBITMQ_HOST}" "${PANORAMA_RABBITMQ_PORT}"; then
        die "rabbitmq: ${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_PORT} is already taken by another process (not node rabbit@localhost)"
    fi
    # An epmd left over from an earlier CLI call may listen on all interfaces; stop it (it
    # refuses while a node is registered) so the node starts one bound to 127.0.0.1.
    _rmq_kill_idle_epmd
    log "rabbitmq: starting…"
    {
        printf '\n=== %s rabbitmq-server -detached\n' "$(date -u +%FT%TZ)"
        _rmq rabbitmq-server -detached
    } >>"${RMQ_STARTUP_LOG}" 2>&1 || die "rabbitmq: rabbitmq-server -detached failed; see ${RMQ_STARTUP_LOG} and ${RMQ_LOG}"
}

_rmq_stop_node() {
    _rmq rabbitmqctl -q shutdown >>"${RMQ_STARTUP_LOG}" 2>&1 ||
        die "rabbitmq: rabbitmqctl shutdown failed; see ${RMQ_STARTUP_LOG} and ${RMQ_LOG}"
}

rabbitmq_start() {
    local changed=1
    if _rmq_configure; then changed=0; fi
    if _rmq_running; then
        if [[ ${changed} -eq 0 ]]; then
            log "rabbitmq: configuration changed, restarting"
            _rmq_stop_node
            _rmq_start_node
        else
            log "rabbitmq: already running (rabbit@localhost)"
        fi
    else
        _rmq_start_node
    fi
}

_rmq_ready() {
    _rmq rabbitmqctl -q await_startup --timeout 10 &&
        tcp_open "${PANORAMA_RABBITMQ_HOST}" "${PANORAMA_RABBITMQ_PORT}" &&
        tcp_open 127.0.0.1 "${PANORAMA_RABBITMQ_MANAGEMENT_PORT}"
}

# Fast path: everything already provisioned, checked over the management HTTP API.
_rmq_provisioned() {
    local auth="${PANORAMA_RABBITMQ_USER}:${PANORAMA_RABBITMQ_PASSWORD}" body
    body="$(curl -fsS -m 5 -u "${auth}" "${RMQ_MGMT_URL}/api/whoami" 2>/dev/null)" || return 1
    [[ "${body}" == *'"administrator"'* ]] || return 1
    body="$(curl -fsS -m 5 -u "${auth}" "${RMQ_MGMT_URL}/api/permissions/%2F/${PANORAMA_RABBITMQ_USER}" 2>/dev/null)" || return 1
    [[ "${body}" == *'"configure":".*","write":".*","read":".*"'* ]] || return 1
    local vhost
    for vhost in ${PANORAMA_RABBITMQ_EXTRA_VHOSTS}; do
        body="$(curl -fsS -m 5 -u "${auth}" "${RMQ_MGMT_URL}/api/permissions/${vhost}/${PANORAMA_RABBITMQ_USER}" 2>/dev/null)" || return 1
        [[ "${body}" == *'"configure":".*","write":".*","read":".*"'* ]] || return 1
    done
    # guest must be gone: 404
    [[ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -u "${auth}" "${RMQ_MGMT_URL}/api/users/guest" 2>/dev/null)" == 404 ]]
}

_rmq_provision() {
    _rmq_provisioned && return 0
    local user="${PANORAMA_RABBITMQ_USER}" pw="${PANORAMA_RABBITMQ_PASSWORD}"
    log "rabbitmq: provisioning user ${user}"
    local users
    users="$(_rmq rabbitmqctl -q list_users | awk '{print $1}')"
    if grep -qx "${user}" <<<"${users}"; then
        if ! _rmq rabbitmqctl -q authenticate_user "${user}" "${pw}" >/dev/null 2>&1; then
            _rmq rabbitmqctl -q change_password "${user}" "${pw}" >/dev/null
        fi
    else
        _rmq rabbitmqctl -q add_user "${user}" "${pw}" >/dev/null
    fi
    _rmq rabbitmqctl -q set_user_tags "${user}" administrator >/dev/null
    _rmq rabbitmqctl -q set_permissions -p / "${user}" '.*' '.*' '.*' >/dev/null
    # Tests and benchmarks get vhosts of their own, so a running `make run` stack never
    # competes with them for RPC requests or events.
    local vhost
    for vhost in ${PANORAMA_RABBITMQ_EXTRA_VHOSTS}; do
        _rmq rabbitmqctl -q add_vhost "${vhost}" >/dev/null 2>&1 || true
        _rmq rabbitmqctl -q set_permissions -p "${vhost}" "${user}" '.*' '.*' '.*' >/dev/null
    done
    if grep -qx guest <<<"${users}"; then
        _rmq rabbitmqctl -q delete_user guest >/dev/null
    fi
    # the management API picks up changes immediately
    _rmq_provisioned || die "rabbitmq: user ${user} not usable after provisioning; see ${RMQ_LOG}"
}

rabbitmq_wait() {
    wait_for "rabbitmq" "${PANORAMA_RABBITMQ_START_TIMEOUT}" "${RMQ_LOG} (and ${RMQ_STARTUP_LOG})" _rmq_ready
    _rmq_provision
}

rabbitmq_summary() {
    log "rabbitmq ready at ${PANORAMA_RABBITMQ_URL} (management ${RMQ_MGMT_URL}, log ${RMQ_LOG})"
}

rabbitmq_up() {
    rabbitmq_install
    rabbitmq_start
    rabbitmq_wait
    rabbitmq_summary
}

rabbitmq_down() {
    if ! _rmq_running; then
        log "rabbitmq: not running"
    else
        log "rabbitmq: stopping…"
        _rmq_stop_node
        log "rabbitmq: stopped"
    fi
    # epmd outlives the node.
    _rmq_kill_idle_epmd
}

rabbitmq_status() {
    if _rmq_running; then
        log "rabbitmq: running (rabbit@localhost) on ${PANORAMA_RABBITMQ_HOST}:${PANORAMA_RABBITMQ_PORT}"
    else
        log "rabbitmq: not running"
        return 3
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    run_main rabbitmq "$@"
fi
