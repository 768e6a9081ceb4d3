#!/usr/bin/env bash
# shellcheck shell=bash source-path=SCRIPTDIR
# Debian's Chromium (driven by Playwright in the browser tests) and CJK fonts so Chinese pages
# render as a person would see them. Playwright's own browser download is not used: only the
# package registries are reachable here.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

browser_up() {
    if [[ -x /usr/bin/chromium ]] && pkg_installed fonts-noto-cjk; then
        log "browser: chromium present ($(/usr/bin/chromium --version 2>/dev/null | head -n1))"
        return 0
    fi
    log "browser: installing chromium and CJK fonts"
    apt_install chromium fonts-noto-cjk
    log "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    browser_up
fi
