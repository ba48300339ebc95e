#!/usr/bin/env bash
# Runs a test command with everything the tests need set up, and cleans up after
# itself. Usage: bash scripts/test.sh cargo test --workspace [ARGS…]
# (the README's test command; with no command, that is what it runs).
#
# 1. Installs the pinned pylibseekdb (seekdb, an OceanBase 4.3.5 kernel
#    derivative) into a project-local virtual environment under target/ (once;
#    reused afterwards). If it cannot be installed the run fails: no test is skipped.
# 2. Starts seekdb on a free loopback port with a fresh data directory under
#    target/, and waits until it accepts connections.
# 3. Installs the pinned @oceanbase-odc/ob-parser-js (OceanBase's MySQL-mode
#    grammar, as OceanBase Developer Center uses it) with the machine's npm into
#    target/obparser (once), for the tests that parse every statement obbackup
#    sends. If it cannot be installed the run fails.
#    The same virtual environment gets the pinned prometheus_client (whose
#    OpenMetrics parser checks `status --format openmetrics`), PyYAML (which
#    reads the Kubernetes examples in examples/monitoring) and check-jsonschema
#    (whose vendored GitHub Actions and GitLab CI schemas check examples/ci).
# 4. Runs the given command (`cargo test --workspace`) with OBBACKUP_SEEKDB_DSN
#    pointing at seekdb, OBBACKUP_OBPARSER_DIR at the grammar and
#    OBBACKUP_PYTHON at the virtual environment's Python.
# 5. Stops the seekdb it started (by its process id) and removes its data,
#    whether the tests passed or not.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
  set -- cargo test --workspace
fi

SEEKDB_PACKAGE="pylibseekdb==1.4.0.post1"
VENV="target/seekdb/venv"
STAMP="$VENV/.installed-$SEEKDB_PACKAGE"

if [ ! -f "$STAMP" ]; then
  echo "test.sh: installing $SEEKDB_PACKAGE into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SEEKDB_PACKAGE"; then
    echo "test.sh: error: cannot install $SEEKDB_PACKAGE; the seekdb tests need it" >&2
    exit 1
  fi
  touch "$STAMP"
fi

CHECKERS="prometheus_client==0.21.1 PyYAML==6.0.2 check-jsonschema==0.29.4"
CHECKERS_STAMP="$VENV/.installed-checkers-${CHECKERS// /-}"
if [ ! -f "$CHECKERS_STAMP" ]; then
  echo "test.sh: installing $CHECKERS into $VENV" >&2
  # shellcheck disable=SC2086
  if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check $CHECKERS; then
    echo "test.sh: error: cannot install $CHECKERS; the metrics and example tests need them" >&2
    exit 1
  fi
  touch "$CHECKERS_STAMP"
fi
export OBBACKUP_PYTHON="$(pwd)/$VENV/bin/python"

OBPARSER_PACKAGE="@oceanbase-odc/ob-parser-js@3.3.0"
OBPARSER_DIR="target/obparser"
OBPARSER_STAMP="$OBPARSER_DIR/.installed-3.3.0"
if [ ! -f "$OBPARSER_STAMP" ]; then
  echo "test.sh: installing $OBPARSER_PACKAGE into $OBPARSER_DIR" >&2
  rm -rf "$OBPARSER_DIR" && mkdir -p "$OBPARSER_DIR"
  if ! npm install --prefix "$OBPARSER_DIR" --no-audit --no-fund --silent "$OBPARSER_PACKAGE" >&2; then
    echo "test.sh: error: cannot install $OBPARSER_PACKAGE; the grammar tests need it" >&2
    exit 1
  fi
  touch "$OBPARSER_STAMP"
fi
export OBBACKUP_OBPARSER_DIR="$(pwd)/$OBPARSER_DIR"

# A CI run builds from a fresh clone once: incremental-compilation data would only
# take disk space (gigabytes across the test binaries), so it is off there.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi

# Build everything before seekdb starts, so it does not sit idle through a cold build.
cargo test --workspace --no-run

SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
SEEKDB="$SITE/pylibseekdb/seekdb"
[ -x "$SEEKDB" ] || { echo "test.sh: error: $SEEKDB is missing from the package" >&2; exit 1; }

PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA="$(pwd)/target/seekdb/run-$PORT"
rm -rf "$DATA" && mkdir -p "$DATA"

# A 512 MB data file (0.65 GB on disk in all) is plenty for the few users and
# tables the tests create; seekdb refuses to start with less log disk than 2G.
LD_LIBRARY_PATH="$SITE/pylibseekdb:$SITE/pylibseekdb.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$SEEKDB" --nodaemon --base-dir "$DATA" --port "$PORT" \
  --parameter datafile_size=512M --parameter log_disk_size=2G >"$DATA/console.log" 2>&1 &
SEEKDB_PID=$!

# seekdb ends itself with SIGKILL after a SIGTERM (within seconds), which bash
# reports as "Killed": that line is expected.
cleanup() {
  if kill -0 "$SEEKDB_PID" 2>/dev/null; then
    kill "$SEEKDB_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$SEEKDB_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$SEEKDB_PID" 2>/dev/null || true
  fi
  wait "$SEEKDB_PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

echo "test.sh: starting seekdb on 127.0.0.1:$PORT (pid $SEEKDB_PID)" >&2
VERSION=""
for _ in $(seq 1 180); do
  if ! kill -0 "$SEEKDB_PID" 2>/dev/null; then
    echo "test.sh: error: seekdb exited; its console and log:" >&2
    tail -n 40 "$DATA/console.log" "$DATA/log/seekdb.log" 2>/dev/null >&2 || true
    exit 1
  fi
  if VERSION=$("$VENV/bin/python" - "$PORT" 2>/dev/null <<'PY'
import sys, pymysql
conn = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="root", password="", connect_timeout=2)
with conn.cursor() as cur:
    cur.execute("SELECT version()")
    print(cur.fetchone()[0])
PY
  ); then
    break
  fi
  sleep 1
done
[ -n "$VERSION" ] || { echo "test.sh: error: seekdb did not accept connections within 180 s" >&2; exit 1; }
echo "test.sh: seekdb version: $VERSION" >&2

export OBBACKUP_SEEKDB_DSN="mysql://root@127.0.0.1:$PORT"
export OBBACKUP_SEEKDB_VERSION="$VERSION"
"$@"
