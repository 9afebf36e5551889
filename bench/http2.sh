#!/usr/bin/env bash
# HTTP/2 without TLS (h2c, prior knowledge: what a proxy such as HAProxy, Envoy or Caddy speaks to its backends):
# Newsdesk against nginx serving the very same bytes from disk over h2c, in one run, with h2load (nghttp2's load
# generator), and HTTP/1.1 with wrk beside it for the same pages.
#
#   bench/http2.sh [REQUESTS=200000] [CONNECTIONS=64] [STREAMS=10]
#
# The demo site (release build, SQLite); the article page and the home page, gzipped as browsers ask for them.
# nginx runs as production sites run it: two workers, sendfile, tcp_nopush, access_log off, gzip_static for the
# compressed copy. Needs: cargo, nginx, h2load (apt-get install nghttp2-client), wrk, curl. Everything on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-200000}
CONNS=${2:-64}
STREAMS=${3:-10}
OUT=bench/out-http2
ND_PORT=18280
NGINX_PORT=18281
for tool in nginx h2load wrk curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nginx-light nghttp2-client wrk)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk

rm -rf "$OUT" && mkdir -p "$OUT/www"
NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off "$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$ND_PORT" \
  --no-worker 2>"$OUT/serve.log" &
ND_PID=$!
cleanup() { kill "$ND_PID" 2>/dev/null || true; [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$ND_PORT/healthz" >/dev/null && break; sleep 0.1; done

# The same bytes for nginx: each page as Newsdesk serves it, and its gzip copy for gzip_static.
ARTICLE=$(curl -sf "http://127.0.0.1:$ND_PORT/" | grep -o 'href="/[a-z0-9-]*-[a-z0-9-]*/"' | head -1 | sed 's/href="//; s/"//')
for page in / "$ARTICLE"; do
  mkdir -p "$OUT/www$page"
  curl -sf "http://127.0.0.1:$ND_PORT$page" -o "$OUT/www${page}index.html"
  curl -sf -H 'accept-encoding: gzip' "http://127.0.0.1:$ND_PORT$page" -o "$OUT/www${page}index.html.gz"
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
  tcp_nopush on;
  default_type text/html;
  gzip_static on;
  # Many requests on a connection, as a long-lived proxy connection carries (the default ends one after 1,000).
  keepalive_requests 10000000;
  server { listen 127.0.0.1:$NGINX_PORT http2; root $PWD/$OUT/www; index index.html; }
}
NGINX
nginx -c "$PWD/$OUT/nginx.conf" -p "$PWD/$OUT"
sleep 0.5

h2() { # name port path
  h2load -n "$REQUESTS" -c "$CONNS" -m "$STREAMS" -t 2 -H 'accept-encoding: gzip' "http://127.0.0.1:$2$3" >"$OUT/h2-$1.txt"
}
h1() { # name port path (nginx's h2c listener takes no HTTP/1.1, so HTTP/1.1 is Newsdesk's alone: the reference is h2)
  wrk -t2 -c"$CONNS" -d10s --latency -H 'accept-encoding: gzip' "http://127.0.0.1:$2$3" >"$OUT/h1-$1.txt"
}
for page in home article; do
  path=/; [ "$page" = article ] && path=$ARTICLE
  curl -s "http://127.0.0.1:$ND_PORT$path" >/dev/null
  h2 "nginx-$page" $NGINX_PORT "$path"
  h2 "newsdesk-$page" $ND_PORT "$path"
  h1 "newsdesk-$page" $ND_PORT "$path"
done

python3 - "$OUT" <<'PY'
import re, sys
out = sys.argv[1]
def h2(name):
    t = open(f"{out}/h2-{name}.txt").read()
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", t).group(1))
    ok = int(re.search(r"status codes: (\d+) 2xx", t).group(1))
    total = int(re.search(r"requests: (\d+) total", t).group(1))
    return rps, ok, total
def h1(name):
    t = open(f"{out}/h1-{name}.txt").read()
    return float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
lines = [f"{'page':10} {'nginx h2c req/s':>16} {'Newsdesk h2c':>13} {'ratio':>6} | {'Newsdesk HTTP/1.1 (wrk)':>24}"]
for page in ("home", "article"):
    n, nok, ntotal = h2(f"nginx-{page}")
    d, dok, dtotal = h2(f"newsdesk-{page}")
    warn = "" if dok == dtotal and nok == ntotal else f"  !! 2xx {dok}/{dtotal}, nginx {nok}/{ntotal}"
    lines.append(f"{page:10} {n:16.0f} {d:13.0f} {d / n:6.2f} | {h1(f'newsdesk-{page}'):24.0f}{warn}")
text = "\n".join(lines)
print(text)
open(f"{out}/results.txt", "w").write(text + "\n")
PY
