#!/usr/bin/env bash
# Importing a large site: N stories (default 10,000) generated in WordPress's export shape (bench/gen_wxr.py) or
# Ghost's (bench/gen_ghost.py, from the real Ghost export in the tests' fixtures), imported by the release binary
# into a fresh SQLite data directory (and a fresh PostgreSQL database when NEWSDESK_BENCH_DATABASE_URL names a
# server, e.g. postgres://postgres@127.0.0.1:5432/postgres). Reports stories/s, the importer's peak RSS, a second
# (idempotent) run, and the time from starting `serve` to the first article served.
#
#   bench/import.sh wordpress|ghost [N=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=${1:?usage: bench/import.sh wordpress|ghost [N]}
N=${2:-10000}
OUT=bench/out-$SOURCE
PORT=18091
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk
rm -rf "$OUT" && mkdir -p "$OUT"
case $SOURCE in
  wordpress) python3 bench/gen_wxr.py "$N" "$OUT/site"; EXPORT=$OUT/site/export.xml; FILES=(--uploads "$OUT/site/uploads") ;;
  ghost) python3 bench/gen_ghost.py "$N" "$OUT/site"; EXPORT=$OUT/site/export.json; FILES=(--content "$OUT/site/content") ;;
  *) echo "unknown source $SOURCE (wordpress or ghost)" >&2; exit 2 ;;
esac
echo "== $SOURCE export: $N stories, $(du -h "$EXPORT" | cut -f1)" >&2
export NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off

run() { # label database-url → one line of figures
  local label=$1 url=$2 data="$OUT/data-$1"
  rm -rf "$data"
  if [ -n "$url" ]; then export NEWSDESK_DATABASE_URL=$url; else unset NEWSDESK_DATABASE_URL; fi
  "$BIN" migrate --data "$data" >/dev/null
  python3 - "$BIN" "$data" "$N" "$label" "$SOURCE" "$EXPORT" "${FILES[@]}" <<'PY'
import resource, subprocess, sys, time
bin, data, n, label, source, export, *files = sys.argv[1:]
import json
def timed():
    t = time.monotonic()
    p = subprocess.run([bin, "import", source, export, *files, "--data", data, "--report", f"{data}/report.json"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"import failed: {p.stderr}")
    return time.monotonic() - t, json.load(open(f"{data}/report.json"))
first, r1 = timed()
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
second, r2 = timed()
made = r1["created"]["posts"]
if r2["created"]["posts"] != 0 or r2["updated"]["posts"] != made:
    sys.exit(f"the second run duplicated: {r2['created']} created, {r2['updated']} updated")
print(f"{label}: {n} stories in {first:.1f} s = {int(n) / first:.0f} stories/s, peak RSS {rss:.0f} MB; second run {second:.1f} s ({int(n) / second:.0f} stories/s): {made} updated, none created")
PY
  local slug
  slug=$(cat "$OUT/site/first-slug")
  local start=$(date +%s.%N)
  "$BIN" serve --data "$data" --listen "127.0.0.1:$PORT" --no-demo >"$OUT/serve-$label.log" 2>&1 &
  local pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/$slug/"; do sleep 0.02; done
  local end=$(date +%s.%N)
  kill $pid; wait $pid 2>/dev/null || true
  python3 -c "print(f'$label: first article served {($end - $start) * 1000:.0f} ms after starting serve')"
}

run sqlite ""
if [ -n "${NEWSDESK_BENCH_DATABASE_URL:-}" ]; then
  db="nd_bench_import_$$"
  psql "$NEWSDESK_BENCH_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
  run postgres "${NEWSDESK_BENCH_DATABASE_URL%/*}/$db"
  psql "$NEWSDESK_BENCH_DATABASE_URL" -qc "DROP DATABASE $db" >/dev/null
fi
