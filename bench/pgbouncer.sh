#!/usr/bin/env bash
# The PgBouncer leg (#19): PgBouncer in transaction-pooling mode on a free port in front of the
# local PostgreSQL, and the multi-node test (two gunicorn nodes, two Celery workers) with every
# node and worker connecting through it (DATABASE_POOLER=transaction: no server-side cursors, no
# prepared statements). The test process itself creates and drops its test database directly.
#
# Usage: bench/pgbouncer.sh [extra pytest args]
# Env: DATABASE_URL (postgres://…, the direct server; default postgres://postgres@127.0.0.1:5432/hearth_pgbouncer),
#      REDIS_URL (default redis://127.0.0.1:6379/7). Needs Debian's pgbouncer (/usr/sbin/pgbouncer).
set -euo pipefail
cd "$(dirname "$0")/.."

PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
[ -x "$PGBOUNCER" ] || { echo "FAIL: $PGBOUNCER not found (apt-get install pgbouncer)"; exit 1; }
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hearth_pgbouncer}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/7}"

# The server PgBouncer forwards to: host and port of DATABASE_URL.
read -r pg_host pg_port pg_user < <(.venv/bin/python -c '
import os
from urllib.parse import urlparse
u = urlparse(os.environ["DATABASE_URL"])
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres")')

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/hearth-pgbouncer.XXXXXX)
chmod 755 "$dir"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$pg_host port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
printf '"%s" ""\n' "$pg_user" >"$dir/users.txt"

# PgBouncer refuses to run as root; -u drops to the postgres system user.
as_user=()
if [ "$(id -u)" = "0" ]; then
  as_user=(-u postgres)
  chown -R postgres "$dir"
fi
"$PGBOUNCER" -d "${as_user[@]}" "$dir/pgbouncer.ini"
cleanup() {
  if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "FAIL: pgbouncer did not start"; cat "$dir/pgbouncer.log"; exit 1; }
echo "pgbouncer $("$PGBOUNCER" --version | head -1 | awk '{print $2}') on 127.0.0.1:$port (transaction pooling) -> $pg_host:$pg_port"

export HEARTH_TEST_POOLER_URL="postgres://$pg_user@127.0.0.1:$port"
# A skip of an integration test fails this leg.
export HEARTH_REQUIRE_SERVICES=true
rc=0
.venv/bin/pytest tests/integration/test_multinode.py -p no:cacheprovider -q "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL (PgBouncer leg): exit $rc"
  tail -20 "$dir/pgbouncer.log" || true
  exit 1
fi
# The nodes and workers really went through PgBouncer (not straight to PostgreSQL).
logins=$(grep -c "login attempt: db=test_" "$dir/pgbouncer.log" || true)
[ "$logins" -gt 0 ] || { echo "FAIL (PgBouncer leg): no connection to the test database went through pgbouncer"; exit 1; }
echo "PASS (PgBouncer leg): $logins client logins to the test database through pgbouncer"
