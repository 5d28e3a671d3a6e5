#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the tests: installs it from Debian packages when missing, starts the
# cluster, waits until it accepts connections and creates the superuser role `railyard` (password `railyard`;
# each test creates and drops its own database). Safe to run again. Run as root, non-interactively; prints
# only progress lines, on stderr (a failing step's own output too). Afterwards:
#   export RAILYARD_TEST_POSTGRES_URL=postgres://railyard:railyard@127.0.0.1:5432/postgres
set -euo pipefail

log() { printf '[start-postgres] %s\n' "$*" >&2; }
# Runs a chatty command (apt, dpkg, pg_ctlcluster) silently; shows its output on stderr only when it fails.
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    log "failed: $*"
    return 1
  fi
}

export DEBIAN_FRONTEND=noninteractive

if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian packages"
  quiet apt-get update -qq
  quiet apt-get install -y -qq --no-install-recommends postgresql
fi

# The Debian package creates the cluster "main" of its version; use the newest version installed.
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ ! -d "/etc/postgresql/$version/main" ]; then
  log "creating cluster $version/main"
  quiet pg_createcluster "$version" main
fi

status=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }')
port=$(pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
if [ "$port" != 5432 ]; then
  log "cluster $version/main listens on port $port, not 5432: RAILYARD_TEST_POSTGRES_URL must name that port"
fi
if [ "$status" != online ]; then
  log "starting cluster $version/main"
  quiet pg_ctlcluster "$version" main start
fi

log "waiting for PostgreSQL $version to accept connections"
for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || {
  log "PostgreSQL did not accept connections within 30s; see /var/log/postgresql/postgresql-$version-main.log"
  exit 1
}

# Superuser: the URL is the tests' admin connection, which creates databases and drops them `with (force)`.
as_postgres() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ -z "$(as_postgres -c "select 1 from pg_roles where rolname = 'railyard'")" ]; then
  log "creating role railyard"
  quiet as_postgres -c "create role railyard login superuser password 'railyard'"
else
  # Also repairs a role left with another password or without login.
  quiet as_postgres -c "alter role railyard login superuser password 'railyard'"
fi

PGPASSWORD=railyard psql -h 127.0.0.1 -p "$port" -U railyard -d postgres -qAtc 'select 1' >/dev/null || {
  log "cannot log in as railyard over TCP on 127.0.0.1:$port"
  exit 1
}
log "PostgreSQL $version is ready on 127.0.0.1:$port (user railyard)"
