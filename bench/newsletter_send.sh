#!/usr/bin/env bash
# Newsletter sending benchmark: one issue to N confirmed subscribers through a fast SMTP sink on loopback, against
# the sink's own ceiling measured in the same run.
#
#   bench/newsletter_send.sh [SUBSCRIBERS=100000] [CONCURRENCY=8]
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/nd_bench bench/newsletter_send.sh   # on PostgreSQL
#
# 1. makes a data directory with the demo newsroom (release build) and renders one real issue of an article to the
#    outbox transport, to have the exact bytes a subscriber gets;
# 2. imports N confirmed subscribers with `newsdesk subscribers import --confirmed` (timed);
# 3. starts Postfix's smtp-sink on loopback, makes the issue with `newsdesk send`, and times
#    `newsdesk worker --once` (fan-out + every delivery, then exit) under /usr/bin/time for its peak RSS;
# 4. the ceiling: Postfix's smtp-source pushes the same pre-rendered message N times over CONCURRENCY kept-open
#    sessions to the same sink — the rate at which a minimal client gets the sink to accept mail;
# 5. prints messages/s, total time, peak RSS and the ratio to the ceiling.
# Needs: cargo, python3, /usr/bin/time, smtp-sink and smtp-source (Debian: apt-get install postfix time;
# the postfix service itself is not used).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
CONC=${2:-8}
OUT=bench/out-newsletter
PORT=12525
for tool in smtp-sink smtp-source python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install postfix time)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=$PWD/target/release/newsdesk
rm -rf "$OUT" && mkdir -p "$OUT"
export NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off NEWSDESK_NEWSLETTERS__CONCURRENCY=$CONC
if [ -n "${DATABASE_URL:-}" ]; then
  export NEWSDESK_DATABASE_URL=$DATABASE_URL
  python3 - "$DATABASE_URL" <<'PY'
import subprocess, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); db = u.path.lstrip("/")
admin = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], check=True)
PY
fi
POST=council-approves-six-month-night-bus-trial-after-riders-petition

echo "== data directory with the demo newsroom" >&2
"$BIN" serve --data "$OUT/data" --listen 127.0.0.1:18090 --no-worker 2>"$OUT/serve.log" &
pid=$!
for _ in $(seq 1 200); do curl -sf http://127.0.0.1:18090/healthz >/dev/null && break; sleep 0.1; done
kill "$pid"; wait "$pid" || true

echo "== one real message, rendered through the outbox" >&2
printf 'email,name\nsample@example.org,Sam Ple\n' > "$OUT/one.csv"
"$BIN" subscribers import "$OUT/one.csv" --data "$OUT/data" --newsletter morning-ledger --confirmed --source bench >/dev/null
"$BIN" send "$POST" --data "$OUT/data" --newsletter morning-ledger --key bench-sample >/dev/null 2>&1
NEWSDESK_MAIL__TRANSPORT=outbox "$BIN" worker --once --data "$OUT/data" 2>/dev/null
cp "$(ls "$OUT"/data/outbox/*.eml | head -1)" "$OUT/message.eml"
# smtp-source adds the envelope; it wants the header and body with bare line ends.
python3 - "$OUT/message.eml" <<'PY'
import sys
p = sys.argv[1]; data = open(p, "rb").read().replace(b"\r\n", b"\n")
open(p, "wb").write(data)
PY
bytes=$(wc -c < "$OUT/message.eml")
echo "message: $bytes bytes" >&2

echo "== $N confirmed subscribers" >&2
python3 - "$OUT/subscribers.csv" "$N" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("email,name\n")
    for i in range(int(sys.argv[2])):
        f.write(f"reader{i}@example.org,Reader {i}\n")
PY
start=$(date +%s.%N)
"$BIN" subscribers import "$OUT/subscribers.csv" --data "$OUT/data" --newsletter morning-ledger --confirmed --source bench >&2
import_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")

smtp-sink -u nobody -c -m 1024 "127.0.0.1:$PORT" 1024 >"$OUT/sink.log" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
sleep 0.5

echo "== Newsdesk: one issue to $N subscribers, concurrency $CONC" >&2
"$BIN" send "$POST" --data "$OUT/data" --newsletter morning-ledger --key bench-main >&2
export NEWSDESK_MAIL__TRANSPORT=smtp NEWSDESK_MAIL__SMTP_URL="smtp://127.0.0.1:$PORT"
/usr/bin/time -f "%e %M %U %S" -o "$OUT/time.txt" "$BIN" worker --once --data "$OUT/data" 2>"$OUT/worker.log"
read -r nd_s nd_kb nd_user nd_sys < "$OUT/time.txt"; echo "newsdesk CPU: user ${nd_user}s sys ${nd_sys}s" >&2
status=$("$BIN" send status 2 --data "$OUT/data")
sent=$(echo "$status" | head -1 | awk '{print $4}')

echo "== ceiling: smtp-source, same message, $CONC sessions kept open" >&2
start=$(date +%s.%N)
smtp-source -d -s "$CONC" -m "$N" -F "$OUT/message.eml" -f newsroom@localhost -t reader@example.org "127.0.0.1:$PORT"
ceil_s=$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")

python3 - "$N" "$sent" "$nd_s" "$nd_kb" "$ceil_s" "$import_s" "$bytes" "$CONC" "${DATABASE_URL:+PostgreSQL}" <<'PY'
import sys
n, sent, nd_s, nd_kb, ceil_s, import_s, size, conc, db = sys.argv[1:10]
n, sent, nd_s, ceil_s = int(n), int(sent), float(nd_s), float(ceil_s)
nd_rate, ceil_rate = sent / nd_s, n / ceil_s
print(f"database: {db or 'SQLite'}; message {int(size):,} bytes; concurrency {conc}; import of {n:,} subscribers {import_s} s")
print(f"| | messages | time s | messages/s | peak RSS |")
print(f"|---|---|---|---|---|")
print(f"| Newsdesk (`worker --once`: fan-out + delivery) | {sent:,} | {nd_s:.1f} | {nd_rate:,.0f} | {int(nd_kb)/1024:.1f} MiB |")
print(f"| smtp-source (ceiling, pre-rendered) | {n:,} | {ceil_s:.1f} | {ceil_rate:,.0f} | — |")
print(f"ratio to the ceiling: {nd_rate / ceil_rate:.2f}")
if sent != n + 1:  # the subscribers, and the one who got the sample
    print(f"WARNING: {n + 1 - sent} messages not recorded as sent")
PY
