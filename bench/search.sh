#!/usr/bin/env bash
# Full-text search benchmark: Newsdesk's `/api/v1/search` against the `LIKE '%…%'` search WordPress runs, over the
# same imported corpus in the same database, in one run.
#
#   bench/search.sh [ARTICLES=100000] [DURATION=10s] [CLIENTS=16]
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/nd_bench_search bench/search.sh   # on PostgreSQL
#   REUSE=1 bench/search.sh …   # keeps the last run's imported corpus (same engine), to measure again
#
# 1. generates ARTICLES invented stories (bench/gen_corpus.py, ~450-900 words each) and imports them with
#    `newsdesk import markdown` (timed: the index is written in the import's transactions);
# 2. serves them (release build, no worker) and sends 20 readers' queries (single words, two words, a phrase, an
#    exclusion, a half-typed last word), rotating, from CLIENTS connections with wrk — with an API token, as a
#    front-end would, so the per-address limit for anonymous readers does not apply;
# 3. the reference: the same 20 queries as WordPress asks them (`(title LIKE '%w%' OR excerpt LIKE … OR body LIKE …)`
#    per word, newest first, 10 rows and the count), from CLIENTS threads straight to the same database (no HTTP in
#    the way, which favours it);
# 4. prints searches/s and p50/p99 for both and the ratio, and the database's size with and without the index.
# Needs: cargo, python3, wrk, curl; for PostgreSQL psql and python's psycopg (pip install "psycopg[binary]").
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
DURATION=${2:-10s}
CLIENTS=${3:-16}
OUT=bench/out-search
PORT=18094
for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk
REUSE=${REUSE:-}
[ -n "$REUSE" ] && [ -f "$OUT/import_s" ] || { REUSE=""; rm -rf "$OUT"; mkdir -p "$OUT"; }
export NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off
ENGINE=sqlite
DB="$OUT/data/newsdesk.db"
if [ -n "${DATABASE_URL:-}" ]; then
  ENGINE=postgres
  DB=$DATABASE_URL
  export NEWSDESK_DATABASE_URL=$DATABASE_URL
  python3 -c "import psycopg" 2>/dev/null || { echo "bench: pip install 'psycopg[binary]' for PostgreSQL" >&2; exit 1; }
  [ -n "$REUSE" ] || python3 - "$DATABASE_URL" <<'PY'
import subprocess, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); db = u.path.lstrip("/")
admin = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
PY
fi

if [ -z "$REUSE" ]; then
  echo "== corpus: $N articles ($ENGINE)" >&2
  python3 bench/gen_corpus.py "$OUT/corpus" "$N"
  start=$(date +%s.%N)
  "$BIN" import markdown --data "$OUT/data" "$OUT/corpus" 2>"$OUT/import.log"
  python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')" >"$OUT/import_s"
  rm -rf "$OUT/corpus"
  "$BIN" token create --data "$OUT/data" --name bench --role contributor 2>/dev/null >"$OUT/token"
fi
import_s=$(cat "$OUT/import_s")
echo "imported $N articles in ${import_s}s" >&2
TOKEN=$(cat "$OUT/token")

"$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$PORT" --no-demo --no-worker 2>"$OUT/serve.log" &
ND_PID=$!
trap 'kill "$ND_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# The readers' queries, in the corpus's words (bench/gen_corpus.py).
cat > "$OUT/queries.txt" <<'Q'
harbour
ferry fares
barrier delay
"planning committee"
tenants landlord
lifeboat volunteers
erosion -beach
hosp
contract tender
inquiry records
storm
night bus route
school library funding
court hearing witness
museum archive
audit minutes
quay fishermen licence
housing rent
nurses shift
developer fla
Q
cat > "$OUT/queries.lua" <<LUA
local queries = {}
for line in io.lines("$PWD/$OUT/queries.txt") do
  queries[#queries + 1] = line:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end)
end
local i = 0
request = function()
  i = i % #queries + 1
  return wrk.format("GET", "/api/v1/search?limit=10&q=" .. queries[i], { ["Authorization"] = "Bearer $TOKEN" })
end
LUA
echo "== first answers" >&2
while read -r q; do
  enc=$(python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))" "$q")
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/search?limit=10&q=$enc" \
    | python3 -c "import json, sys; d = json.load(sys.stdin); print(f'  {sys.argv[1]!r:28} {d[\"meta\"][\"total\"]:>7} found; first: {(d[\"results\"] or [{}])[0].get(\"title\", \"-\")[:60]}')" "$q" >&2
done <"$OUT/queries.txt"
sleep 1
wrk -t2 -c"$CLIENTS" -d"$DURATION" --timeout 30s --latency -s "$OUT/queries.lua" "http://127.0.0.1:$PORT" >"$OUT/wrk-newsdesk.txt"

echo "== the LIKE baseline, $CLIENTS clients" >&2
python3 - "$ENGINE" "$DB" "$OUT/queries.txt" "$CLIENTS" "${DURATION%s}" >"$OUT/like.json" <<'PY'
import json, sys, threading, time
engine, db, qfile, clients, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
queries = [l.strip() for l in open(qfile) if l.strip()]

def terms(q):
    """WordPress's search: each word (or quoted phrase) must be in the title, excerpt or content; -word must not."""
    out, rest = [], q
    while '"' in rest:
        before, _, after = rest.partition('"')
        phrase, _, rest = after.partition('"')
        out += [(w, False) for w in before.split()] + [(phrase, False)]
    out += [(w[1:], True) if w.startswith("-") else (w, False) for w in rest.split()]
    return out

ph = "?" if engine == "sqlite" else "%s"
def sql(q):
    cond, args = ["p.status = 'published'"], []
    for text, negated in terms(q):
        like = f"(p.title LIKE {ph} OR COALESCE(p.excerpt, '') LIKE {ph} OR p.body_text LIKE {ph})"
        cond.append(f"NOT {like}" if negated else like)
        args += [f"%{text}%"] * 3
    where = " AND ".join(cond)
    return (f"SELECT p.id FROM posts p WHERE {where} ORDER BY (p.title LIKE {ph}) DESC, p.published_at DESC LIMIT 10",
            args + [f"%{q.strip(chr(34))}%"], f"SELECT COUNT(*) FROM posts p WHERE {where}", args)

def connect():
    if engine == "sqlite":
        import sqlite3
        c = sqlite3.connect(db, check_same_thread=False)
        c.execute("PRAGMA query_only = 1")
        return c
    import psycopg
    return psycopg.connect(db, autocommit=True)

latencies, lock, stop = [], threading.Lock(), time.monotonic() + seconds
def client(k):
    c, mine, i = connect(), [], k
    while time.monotonic() < stop:
        page, pargs, count, cargs = sql(queries[i % len(queries)])
        t = time.perf_counter()
        cur = c.cursor(); cur.execute(page, pargs); cur.fetchall(); cur.execute(count, cargs); cur.fetchall()
        mine.append(time.perf_counter() - t)
        i += 1
    with lock:
        latencies.extend(mine)
threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
started = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - started
latencies.sort()
pct = lambda p: latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0
print(json.dumps({"rps": len(latencies) / elapsed, "p50": pct(0.5), "p99": pct(0.99), "n": len(latencies)}))
PY

size=$(if [ "$ENGINE" = sqlite ]; then du -b "$DB" | cut -f1; else psql "$DB" -Atc "SELECT pg_database_size(current_database())"; fi)
index=$(if [ "$ENGINE" = sqlite ]; then
  python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'post_search%'\").fetchone()[0] or 0)" "$DB" 2>/dev/null || echo 0
else psql "$DB" -Atc "SELECT pg_total_relation_size('post_search')"; fi)
python3 - "$OUT" "$N" "$ENGINE" "$CLIENTS" "$import_s" "$size" "$index" <<'PY'
import json, re, sys
out, n, engine, clients, import_s, size, index = sys.argv[1:8]
t = open(f"{out}/wrk-newsdesk.txt").read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def pct(p):
    v, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
like = json.load(open(f"{out}/like.json"))
mb = lambda b: f"{int(b) / 1e6:.0f} MB"
lines = [f"Search over {int(n):,} imported stories on {engine}, 20 readers' queries rotating, {clients} clients",
         f"  newsdesk /api/v1/search {rps:>9.0f} searches/s  p50 {pct(50):.2f} ms  p99 {pct(99):.2f} ms  (HTTP, JSON, snippets)",
         f"  LIKE baseline           {like['rps']:>9.1f} searches/s  p50 {like['p50']:.2f} ms  p99 {like['p99']:.2f} ms  (SQL only)",
         f"  ratio                   {rps / like['rps']:.1f}x",
         f"  import {import_s} s; database {mb(size)}, of which the search index {mb(index)}"]
if bad:
    lines.append(f"  !! non-2xx responses: {bad.group(1)}")
open(f"{out}/results.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
