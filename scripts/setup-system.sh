#!/usr/bin/env bash
# Idempotent installer of the system pieces the tests and `npm start` need on a fresh Debian
# machine of this kind. Safe to run repeatedly: it installs only what is missing.
# `npm test` runs it first when running as root (set STOA_SKIP_SETUP=1 to skip).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "not root and no sudo: skipping system packages"; exit 0
  fi
fi

# Debian packages: command → package. Later issues add to this list.
declare -A NEED=(
  [java]=openjdk-17-jre-headless
  [mvn]=maven
  [wrk]=wrk
  [git]=git
  [prlimit]=util-linux
  [pg_ctlcluster]=postgresql
  [redis-server]=redis-server
  [chromium]=chromium
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "system packages present"
fi

# Services the machine kind normally starts before a session; start them if they are down.
# The tests connect as `postgres` over TCP without a password (trust on loopback, as this machine
# kind is set up); a freshly installed cluster gets that rule once.
if command -v pg_ctlcluster >/dev/null 2>&1; then
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
      log "allowing trust auth on 127.0.0.1 in $hba"
      $SUDO sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
      $SUDO pg_ctlcluster --skip-systemctl-redirect "$(basename "$(dirname "$(dirname "$hba")")")" main reload 2>/dev/null || true
    fi
  done
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    log "starting PostgreSQL"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || log "PostgreSQL did not start"
  fi
fi
if command -v redis-server >/dev/null 2>&1; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || log "Redis did not start"
  fi
fi

# Apache Cassandra jars from Maven Central into the local Maven cache (once).
if [ -f scripts/cassandra/fetch.sh ]; then
  bash scripts/cassandra/fetch.sh || log "Cassandra jars could not be fetched; its tests will be skipped"
fi
log "done"
