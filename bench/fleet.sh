#!/usr/bin/env bash
# A fleet on one machine: three `newsdesk serve --no-worker` nodes and a worker on one PostgreSQL, media in s3s-fs,
# nginx in front. Measures, in one run:
#   1. publish-to-visible: PUBLISHES stories published through node 1, each timed until nodes 2 and 3 serve it on
#      their home pages (p50, p99, max; issue 16's promise is 1 s);
#   2. requests per second through the balancer with 1, 2 and 3 nodes behind it (the home page, cached), as a ratio
#      to nginx serving the same bytes from disk — on 2 cores the nodes, nginx and wrk share the machine, so the
#      point is that nothing serialises, not that it scales.
#
#   bench/fleet.sh [DURATION=10s] [CONNECTIONS=64] [PUBLISHES=100]
#
# Needs: PostgreSQL (NEWSDESK_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; a database
# newsdesk_bench_fleet is made afresh), s3s-fs (cargo install s3s-fs --version 0.14.1 --features binary --locked),
# nginx, wrk, psql, python3, curl. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10s}
CONNS=${2:-64}
PUBLISHES=${3:-100}
OUT=bench/out-fleet
ADMIN_URL=${NEWSDESK_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=newsdesk_bench_fleet
DB_URL="${ADMIN_URL%/*}/$DB"
S3_PORT=18014
NODE_PORTS=(18101 18102 18103)
LB_PORTS=(18091 18092 18093)
STATIC_PORT=18090
for tool in wrk nginx psql python3 curl s3s-fs; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk

rm -rf "$OUT" && mkdir -p "$OUT/s3/media" "$OUT/www"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
s3s-fs --host 127.0.0.1 --port $S3_PORT --access-key bench --secret-key bench-secret "$OUT/s3" >/dev/null 2>&1 &
PIDS+=($!)
export NEWSDESK_DATABASE_URL="$DB_URL" NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off
export NEWSDESK_STORAGE__BACKEND=s3 NEWSDESK_STORAGE__ENDPOINT="http://127.0.0.1:$S3_PORT" NEWSDESK_STORAGE__BUCKET=media
export NEWSDESK_STORAGE__ACCESS_KEY_ID=bench NEWSDESK_STORAGE__SECRET_ACCESS_KEY=bench-secret
export NEWSDESK_SITE__URL="http://127.0.0.1:${LB_PORTS[2]}"
# The first node makes the demo newsroom (its photos go into the bucket); the others join it.
for i in 0 1 2; do
  demo=--no-demo; [ "$i" = 0 ] && demo=
  "$BIN" serve --no-worker $demo --data "$OUT/node$i" --listen "127.0.0.1:${NODE_PORTS[$i]}" 2>"$OUT/node$i.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:${NODE_PORTS[$i]}/readyz" >/dev/null && break; sleep 0.1; done
done
"$BIN" worker --data "$OUT/worker" 2>"$OUT/worker.log" &
PIDS+=($!)
TOKEN=$("$BIN" token create --data "$OUT/node0" --name bench --role editor 2>/dev/null)

# nginx: the same home page's bytes from disk, and the balancer with 1, 2 and 3 nodes.
curl -s "http://127.0.0.1:${NODE_PORTS[0]}/" >"$OUT/www/index.html"
ups=""; servers=""
for n in 1 2 3; do
  list=""; for i in $(seq 0 $((n - 1))); do list="$list server 127.0.0.1:${NODE_PORTS[$i]};"; done
  ups="$ups upstream nodes$n { $list keepalive 64; }"
  servers="$servers server { listen 127.0.0.1:${LB_PORTS[$((n - 1))]}; location / { proxy_pass http://nodes$n; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header Host \$http_host; } }"
done
cat >"$OUT/nginx.conf" <<NGINX
worker_processes 2;
daemon on;
pid $PWD/$OUT/nginx.pid;
error_log $PWD/$OUT/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  default_type text/html;
  $ups
  $servers
  server { listen 127.0.0.1:$STATIC_PORT; root $PWD/$OUT/www; index index.html; }
}
NGINX
nginx -c "$PWD/$OUT/nginx.conf" -p "$PWD/$OUT"
sleep 0.5

echo "== publish-to-visible, $PUBLISHES stories" >&2
python3 - "$TOKEN" "$PUBLISHES" "${NODE_PORTS[@]}" >"$OUT/publish.txt" <<'PY'
import json, sys, time, urllib.request
token, n, ports = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def get(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
        return r.read().decode()
times = []
for i in range(n):
    title = f"Fleet bench story {i} {time.time_ns()}"
    body = json.dumps({"title": title, "body": "Published by bench/fleet.sh.", "authors": ["Maren Okafor"], "status": "published"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{ports[0]}/api/v1/posts", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    start = time.monotonic()
    with urllib.request.urlopen(req) as r:
        assert r.status == 201, r.status
    pending = set(ports[1:])
    while pending:
        for p in list(pending):
            if title in get(p):
                pending.discard(p)
        if time.monotonic() - start > 10:
            raise SystemExit(f"story {i} not visible within 10 s on {pending}")
        time.sleep(0.002)
    times.append((time.monotonic() - start) * 1000)
times.sort()
pct = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(f"{pct(0.5):.1f} {pct(0.99):.1f} {times[-1]:.1f}")
PY

echo "== wrk -t2 -c$CONNS -d$DURATION" >&2
run() { sleep 2; wrk -t2 -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$2/" >"$OUT/wrk-$1.txt"; }
run static $STATIC_PORT
for n in 1 2 3; do run "nodes$n" "${LB_PORTS[$((n - 1))]}"; done

python3 - "$OUT" "$PUBLISHES" <<'PY'
import re, sys
out, n = sys.argv[1], sys.argv[2]
def parse(name):
    t = open(f"{out}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    v, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit], int(errors.group(1)) if errors else 0
p50, p99, worst = open(f"{out}/publish.txt").read().split()
lines = [f"publish on node 1 to visible on nodes 2 and 3, {n} stories: p50 {p50} ms, p99 {p99} ms, max {worst} ms (promise: 1,000 ms)"]
static = parse("static")
lines.append(f"{'home page through nginx':36} {'req/s':>9} {'p99 ms':>8} | ratio to nginx from disk ({static[0]:.0f} req/s, p99 {static[1]:.2f} ms) | to 1 node")
one = parse("nodes1")[0]
for k in (1, 2, 3):
    rps, p99, errors = parse(f"nodes{k}")
    warn = f"  !! {errors} non-2xx" if errors else ""
    lines.append(f"{f'{k} node(s) behind the balancer':36} {rps:9.0f} {p99:8.2f} | {rps / static[0]:5.2f} | {rps / one:5.2f}{warn}")
text = "\n".join(lines)
print(text)
open(f"{out}/results.txt", "w").write(text + "\n")
PY
