# shellcheck shell=bash source-path=SCRIPTDIR
# Shared helpers for deploy/local scripts. Sourced, never executed.
# Sourcing it: re-executes the calling script as root (via sudo) when needed, loads env.sh,
# creates the state/log directories.

[[ -n "${_PANORAMA_COMMON_LOADED:-}" ]] && return 0
_PANORAMA_COMMON_LOADED=1

set -euo pipefail

PANORAMA_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PANORAMA_LIB_DIR="${PANORAMA_LOCAL_DIR}/lib"
export PANORAMA_LOCAL_DIR PANORAMA_LIB_DIR

log() { printf '[panorama] %s\n' "$*"; }
warn() { printf '[panorama] WARNING: %s\n' "$*" >&2; }
die() {
    printf '[panorama] ERROR: %s\n' "$*" >&2
    exit 1
}

# Installing packages, creating system users and starting servers as other users needs root.
# $0 / "$@" are those of the script that sources this file.
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env bash "$0" "$@"
    fi
    die "$(basename "$0") must run as root (no sudo available)"
fi

# shellcheck source=../env.sh
source "${PANORAMA_LOCAL_DIR}/env.sh"

export DEBIAN_FRONTEND=noninteractive
# Some tools (psql, rabbitmqctl, Elasticsearch CLIs) misbehave when run from a directory
# their user cannot read (e.g. /root); also keeps CI without stdin safe.
cd /

# shellcheck disable=SC2153 # set by env.sh
install -d -m 0755 "${PANORAMA_STATE_DIR}" "${PANORAMA_LOG_DIR}" "${PANORAMA_CACHE_DIR}"

# ---------------------------------------------------------------------------------------
# apt

_PANORAMA_APT_UPDATED=""

# pkg_installed PKG: true if the Debian package is installed.
pkg_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

_apt() {
    # Waits for another apt/dpkg (e.g. unattended upgrades, a parallel install) instead of failing.
    apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold "$@" </dev/null
}

# apt_install PKG...: installs the packages that are missing; `apt-get update` only when
# something is missing (once per run). Service start-up during installation is suppressed
# (no init system here; the scripts start the servers themselves).
apt_install() {
    local missing=() p
    for p in "$@"; do
        pkg_installed "$p" || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0

    local aptlog="${PANORAMA_LOG_DIR}/apt.log"
    log "installing ${missing[*]} (apt log: ${aptlog})"
    if [[ -z "${_PANORAMA_APT_UPDATED}" ]]; then
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do
            # `update` takes the lists lock, which DPkg::Lock::Timeout does not cover: retry.
            if _apt update >>"${aptlog}" 2>&1; then
                _PANORAMA_APT_UPDATED=1
                break
            fi
            [[ $i -eq 10 ]] && die "apt-get update failed; see ${aptlog}"
            sleep 10
        done
    fi

    local policy=/usr/sbin/policy-rc.d created_policy=""
    if [[ ! -e "${policy}" ]]; then
        printf '#!/bin/sh\n# temporary, deploy/local: do not start services during install\nexit 101\n' >"${policy}"
        chmod 0755 "${policy}"
        created_policy=1
    fi
    local rc=0
    _apt install --no-install-recommends "${missing[@]}" >>"${aptlog}" 2>&1 || rc=$?
    [[ -n "${created_policy}" ]] && rm -f "${policy}"
    [[ $rc -eq 0 ]] || die "apt-get install ${missing[*]} failed; see ${aptlog}"
}

# ---------------------------------------------------------------------------------------
# files

# write_if_changed PATH MODE OWNER[:GROUP] < content
# Writes stdin to PATH only if it differs. Returns 0 when the file changed, 1 when not.
write_if_changed() {
    local path="$1" mode="$2" owner="$3" tmp
    tmp="$(mktemp)"
    cat >"${tmp}"
    if [[ -f "${path}" ]] && cmp -s "${tmp}" "${path}"; then
        rm -f "${tmp}"
        return 1
    fi
    install -D -m "${mode}" -o "${owner%%:*}" -g "${owner#*:}" "${tmp}" "${path}"
    rm -f "${tmp}"
    return 0
}

# ---------------------------------------------------------------------------------------
# network / waiting

# tcp_open HOST PORT: true if something accepts TCP connections there.
tcp_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# wait_for NAME TIMEOUT_S LOGFILE CMD...: polls CMD once a second until it succeeds.
wait_for() {
    local name="$1" timeout_s="$2" logfile="$3"
    shift 3
    local deadline=$((SECONDS + timeout_s))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "${name} did not become ready within ${timeout_s}s; see ${logfile}"
        fi
        sleep 1
    done
}

# ensure_system_user NAME HOME: creates a locked system user with its own group.
ensure_system_user() {
    local name="$1" home="$2"
    id -u "${name}" >/dev/null 2>&1 && return 0
    log "creating system user ${name}"
    useradd --system --user-group --home-dir "${home}" --no-create-home \
        --shell /usr/sbin/nologin --comment "Panorama local ${name}" "${name}"
}

# run_main FUNCPREFIX ARGS...: dispatch for sub-scripts run on their own.
run_main() {
    local prefix="$1" cmd="${2:-up}"
    case "${cmd}" in
    up | down | status) "${prefix}_${cmd}" ;;
    *) die "usage: $0 [up|down|status]" ;;
    esac
}
