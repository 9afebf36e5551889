#!/usr/bin/env bash
# Article and home page benchmark: Newsdesk against nginx serving the very same bytes from disk, in one run.
#
#   bench/article_pages.sh [ARTICLES=10000] [DURATION=15s] [CONNECTIONS=64]
#
# 1. generates a corpus of invented articles (bench/gen_corpus.py) and imports it with `newsdesk import markdown`;
# 2. starts `newsdesk serve` (release build, SQLite) and nginx on loopback, nginx serving pages saved from Newsdesk;
# 3. runs wrk against both for: one article page, the home page, and a random article among all of them (up to
#    10,000) — first with a cold cache, then warm, and prints the cold p99 over the warm one (no cliff: <= 10);
# 4. runs the article and home pages again at 256 connections, and random articles at 64, with and without a
#    writer posting a News Feed item (which changes every page's sidebar) every FEED_EVERY seconds (default 1, the
#    issue's stream of one a second): the ratio with the writer to without is what an item costs readers;
# 5. prints req/s, p50/p99 latency, the ratio to nginx, and Newsdesk's RSS at idle and its peak under load.
# Needs: cargo, python3, wrk, nginx (Debian: apt-get install wrk nginx-light). Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-10000}
DURATION=${2:-15s}
CONNS=${3:-64}
OUT=bench/out
ND_PORT=18080
NGINX_PORT=18081
# Random articles are drawn from the first ROTATE (all of them, up to 10,000).
ROTATE=$(( ARTICLES < 10000 ? ARTICLES : 10000 ))
# Seconds between News Feed items while the writer runs.
FEED_EVERY=${FEED_EVERY:-1}

for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk nginx-light)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=target/release/newsdesk

rm -rf "$OUT" && mkdir -p "$OUT/www"
echo "== corpus: $ARTICLES articles" >&2
python3 bench/gen_corpus.py "$OUT/corpus" "$ARTICLES"
start=$(date +%s.%N)
NEWSDESK_LOG__LEVEL=warn "$BIN" import markdown --data "$OUT/data" "$OUT/corpus" 2>"$OUT/import.log"
import_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
echo "imported $ARTICLES articles in ${import_s}s" >&2

NEWSDESK_LOG__LEVEL=warn "$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$ND_PORT" --no-demo --no-worker 2>"$OUT/serve.log" &
ND_PID=$!
cleanup() { kill "$ND_PID" 2>/dev/null || true; [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ND_PORT/healthz" >/dev/null && break; sleep 0.1; done

# nginx serves exactly the bytes Newsdesk serves.
mkdir -p "$OUT/www/story-0"
curl -sf "http://127.0.0.1:$ND_PORT/story-0/" -o "$OUT/www/story-0/index.html"
curl -sf "http://127.0.0.1:$ND_PORT/" -o "$OUT/www/index.html"
for i in $(seq 1 $((ROTATE - 1))); do mkdir -p "$OUT/www/story-$i"; done
python3 - "$ND_PORT" "$OUT/www" "$ROTATE" <<'PY'
import sys, urllib.request
port, www, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(1, n):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/story-{i}/") as r, open(f"{www}/story-{i}/index.html", "wb") as f:
        f.write(r.read())
PY
cat > "$OUT/nginx.conf" <<NGINX
worker_processes auto;
daemon on;
pid $PWD/$OUT/nginx.pid;
error_log $PWD/$OUT/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  default_type text/html;
  server { listen 127.0.0.1:$NGINX_PORT; root $PWD/$OUT/www; index index.html; }
}
NGINX
nginx -c "$PWD/$OUT/nginx.conf" -p "$PWD/$OUT"
sleep 0.3

rss() { awk '/VmRSS/ {print $2}' "/proc/$ND_PID/status"; }
# A staff session: signed-in requests are never served from the cache, so they measure rendering from the database.
TOKEN=$(NEWSDESK_LOG__LEVEL=warn "$BIN" token create --data "$OUT/data" --name bench-writer --role editor 2>/dev/null)
echo "bench staff password" | NEWSDESK_LOG__LEVEL=warn "$BIN" user add --data "$OUT/data" --email bench@example.org --name Bench --role editor --password-stdin >/dev/null
# Restart Newsdesk so the rotating run starts with a cold page cache and idle RSS is measured fresh.
kill "$ND_PID"; wait "$ND_PID" 2>/dev/null || true
NEWSDESK_LOG__LEVEL=warn "$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$ND_PORT" --no-demo --no-worker 2>>"$OUT/serve.log" &
ND_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ND_PORT/healthz" >/dev/null && break; sleep 0.1; done
JAR="$OUT/cookies"
CSRF=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$ND_PORT/admin/signin" | grep -o 'name="csrf_token" value="[^"]*"' | cut -d'"' -f4)
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data-urlencode "email=bench@example.org" \
  --data-urlencode "password=bench staff password" "http://127.0.0.1:$ND_PORT/admin/signin"
SESSION=$(awk '$6 == "nd_session" {print $7}' "$JAR")
[ -n "$SESSION" ] || { echo "bench: could not sign in" >&2; exit 1; }
sleep 1
IDLE_RSS=$(rss)
PEAK_FILE="$OUT/peak_rss"; echo 0 >"$PEAK_FILE"
( while kill -0 "$ND_PID" 2>/dev/null; do r=$(rss || echo 0); [ "$r" -gt "$(cat "$PEAK_FILE")" ] && echo "$r" >"$PEAK_FILE"; sleep 0.2; done ) &
SAMPLER=$!

run() { # name port path [script] [header]
  sleep 2 # let the previous run drain
  local args=(-t2 -c"${RUN_CONNS:-$CONNS}" -d"$DURATION" --latency)
  [ -n "${4:-}" ] && args+=(-s "$4")
  [ -n "${5:-}" ] && args+=(-H "$5")
  ND_ROTATE=$ROTATE wrk "${args[@]}" "http://127.0.0.1:$2$3" >"$OUT/wrk-$1.txt"
}
echo "== wrk -t2 -c$CONNS -d$DURATION" >&2
run nd-rotate $ND_PORT / bench/rotate.lua
run nd-rotate-warm $ND_PORT / bench/rotate.lua
run nginx-rotate $NGINX_PORT / bench/rotate.lua
run nd-article $ND_PORT /story-0/
run nginx-article $NGINX_PORT /story-0/
run nd-home $ND_PORT /
run nginx-home $NGINX_PORT /
run nd-staff $ND_PORT / bench/rotate.lua "Cookie: nd_session=$SESSION"
run nginx-staff $NGINX_PORT / bench/rotate.lua
# Writers: a News Feed item every FEED_EVERY seconds while readers load pages (each changes every page's sidebar).
writer() {
  local n=0
  : >"$OUT/writes"
  while [ -f "$OUT/writing" ]; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      --data "{\"headline\": \"Bench update $n\", \"summary\": \"Posted while readers load pages.\"}" \
      "http://127.0.0.1:$ND_PORT/api/v1/feed-items" >>"$OUT/writes"
    n=$((n + 1)); sleep "$FEED_EVERY"
  done
}
with_writer() { # name port path
  touch "$OUT/writing"; writer & local w=$!
  run "$@"
  rm -f "$OUT/writing"; wait "$w" 2>/dev/null || true
}
RUN_CONNS=256 run nd-article256 $ND_PORT /story-0/
RUN_CONNS=256 run nginx-article256 $NGINX_PORT /story-0/
RUN_CONNS=256 with_writer nd-article256w $ND_PORT /story-0/
WRITES_ARTICLE=$(grep -c '^201$' "$OUT/writes" || true); WRITE_ERRORS_ARTICLE=$(grep -vc '^201$' "$OUT/writes" || true)
RUN_CONNS=256 run nd-home256 $ND_PORT /
RUN_CONNS=256 run nginx-home256 $NGINX_PORT /
RUN_CONNS=256 with_writer nd-home256w $ND_PORT /
WRITES_HOME=$(grep -c '^201$' "$OUT/writes" || true); WRITE_ERRORS_HOME=$(grep -vc '^201$' "$OUT/writes" || true)
with_writer nd-rotate-warmw $ND_PORT / bench/rotate.lua
WRITES_ROTATE=$(grep -c '^201$' "$OUT/writes" || true); WRITE_ERRORS_ROTATE=$(grep -vc '^201$' "$OUT/writes" || true)
echo "$WRITES_ARTICLE $WRITE_ERRORS_ARTICLE $WRITES_HOME $WRITE_ERRORS_HOME $WRITES_ROTATE $WRITE_ERRORS_ROTATE" >"$OUT/writes-summary"
kill "$SAMPLER" 2>/dev/null || true
LOAD_RSS=$(cat "$PEAK_FILE")

python3 - "$OUT" "$IDLE_RSS" "$LOAD_RSS" "$ARTICLES" "$import_s" "$ROTATE" "$FEED_EVERY" <<'PY'
import re, sys
out, idle, peak, n, imp, rot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
every = sys.argv[7]
def parse(name):
    t = open(f"{out}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def pct(p):
        v, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0
rows = [("article page (one URL)", "article"), ("home page", "home"), (f"random article of {rot:,} (cold cache)", "rotate"),
        (f"random article of {rot:,} (warm cache)", "rotate-warm"), ("random article, signed-in staff (no cache)", "staff")]
lines = [f"Newsdesk vs nginx (same bytes), {n} articles imported in {imp}s; wrk on loopback, 2 cores shared",
         f"{'page':44} {'newsdesk req/s':>14} {'p50 ms':>7} {'p99 ms':>7} | {'nginx req/s':>11} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>6}"]
for label, key in rows:
    a, b = parse(f"nd-{key}"), parse(f"nginx-{key.replace('-warm', '')}")
    if a[3] or b[3]:
        lines.append(f"  !! non-2xx responses: newsdesk {a[3]}, nginx {b[3]}")
    lines.append(f"{label:44} {a[0]:14.0f} {a[1]:7.2f} {a[2]:7.2f} | {b[0]:11.0f} {b[1]:7.2f} {b[2]:7.2f} | {a[0]/b[0]:6.2f}")
cold, warm = parse("nd-rotate")[2], parse("nd-rotate-warm")[2]
lines.append(f"no cliff on a miss: cold-cache p99 / warm p99 = {cold / warm:.1f} (goal: <= 10)")
wa, wea, wh, weh, wr, wer = (int(x) for x in open(f"{out}/writes-summary").read().split())
lines.append(f"without and with a writer posting a News Feed item every {every} s (each changes every page's sidebar);"
             " the last column is the ratio to the same page without the writer:")
for label, key, ref, alone in [("article page, 256 connections", "article256", "article256", None),
                               (f"article page, 256 conn., {wa} writes ({wea} failed)", "article256w", "article256", "article256"),
                               ("home page, 256 connections", "home256", "home256", None),
                               (f"home page, 256 conn., {wh} writes ({weh} failed)", "home256w", "home256", "home256"),
                               (f"random article (warm), {wr} writes ({wer} failed)", "rotate-warmw", "rotate", "rotate-warm")]:
    a, b = parse(f"nd-{key}"), parse(f"nginx-{ref}")
    if a[3] or b[3]:
        lines.append(f"  !! non-2xx responses: newsdesk {a[3]}, nginx {b[3]}")
    cost = f" | {a[0] / parse(f'nd-{alone}')[0]:6.2f} of no writer" if alone else ""
    lines.append(f"{label:44} {a[0]:14.0f} {a[1]:7.2f} {a[2]:7.2f} | {b[0]:11.0f} {b[1]:7.2f} {b[2]:7.2f} | {a[0]/b[0]:6.2f}{cost}")
lines.append(f"Newsdesk RSS: {idle/1024:.1f} MiB idle, {peak/1024:.1f} MiB peak under load")
text = "\n".join(lines)
print(text)
open(f"{out}/results.txt", "w").write(text + "\n")
PY
