#!/usr/bin/env bash
# The Ghost-compatible Content API against nginx serving the very same answer from a file, in one run:
# `posts.browse({limit: 15, include: "tags,authors"})` — GET /ghost/api/content/posts/?key=…&limit=15&include=tags,authors
# — over an imported site of N stories (bench/gen_wxr.py, default 1,000), with wrk on loopback.
#
#   bench/content_api.sh [N=1000] [DURATION=10s] [CONNECTIONS=64]
# Needs: cargo, python3, wrk, nginx (Debian: apt-get install wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
DURATION=${2:-10s}
CONNS=${3:-64}
OUT=bench/out-content-api
ND_PORT=18092
NGINX_PORT=18093
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk nginx-light)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk
rm -rf "$OUT" && mkdir -p "$OUT"
export NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off
python3 bench/gen_wxr.py "$N" "$OUT/site"
"$BIN" import wordpress "$OUT/site/export.xml" --uploads "$OUT/site/uploads" --data "$OUT/data" >/dev/null 2>&1
KEY=$("$BIN" token create --data "$OUT/data" --name bench --kind content 2>/dev/null)
"$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$ND_PORT" --no-demo --no-worker 2>"$OUT/serve.log" &
ND_PID=$!
cleanup() { kill "$ND_PID" 2>/dev/null || true; [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ND_PORT/healthz" >/dev/null && break; sleep 0.1; done
Q="/ghost/api/content/posts/?key=$KEY&limit=15&include=tags,authors"
mkdir -p "$OUT/www/ghost/api/content/posts"
curl -sf "http://127.0.0.1:$ND_PORT$Q" -o "$OUT/www/ghost/api/content/posts/index.json"
echo "== answer: $(wc -c <"$OUT/www/ghost/api/content/posts/index.json") bytes, 15 posts with tags and authors" >&2
cat > "$OUT/nginx.conf" <<NGINX
worker_processes 2;
daemon on;
pid $PWD/$OUT/nginx.pid;
error_log $PWD/$OUT/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/json;
  server { listen 127.0.0.1:$NGINX_PORT; root $PWD/$OUT/www; index index.json;
    location / { add_header Access-Control-Allow-Origin "*"; try_files \$uri \$uri/index.json =404; } }
}
NGINX
nginx -c "$PWD/$OUT/nginx.conf" -p "$PWD/$OUT"
sleep 0.3
run() { sleep 2; wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$2" >"$OUT/wrk-$1.txt"; }
run nginx "http://127.0.0.1:$NGINX_PORT/ghost/api/content/posts/"
run newsdesk "http://127.0.0.1:$ND_PORT$Q"
python3 - "$OUT" "$N" <<'PY'
import re, sys
out, n = sys.argv[1], sys.argv[2]
def parse(name):
    t = open(f"{out}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def pct(p):
        v, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, pct(50), pct(99), int(bad.group(1)) if bad else 0
nd, ng = parse("newsdesk"), parse("nginx")
lines = [f"Content API posts.browse (limit 15, include tags,authors) over {n} imported stories; wrk on loopback",
         f"  newsdesk {nd[0]:>10.0f} req/s  p50 {nd[1]:.2f} ms  p99 {nd[2]:.2f} ms",
         f"  nginx    {ng[0]:>10.0f} req/s  p50 {ng[1]:.2f} ms  p99 {ng[2]:.2f} ms (the same bytes from a file)",
         f"  ratio    {nd[0] / ng[0]:.2f}"]
if nd[3] or ng[3]:
    lines.append(f"  !! non-2xx responses: newsdesk {nd[3]}, nginx {ng[3]}")
open(f"{out}/results.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
