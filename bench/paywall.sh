#!/usr/bin/env bash
# Paid content benchmark: what a paywall costs, measured in one run on one site.
#
#   bench/paywall.sh [DURATION=15s] [CONNECTIONS=64]
#
# 1. starts `newsdesk serve` (release build, SQLite, an empty site) and makes, through the API, a public article
#    and a paid one of the same length (a members-only marker after its first paragraph);
# 2. an editor makes a paid tier in the admin, a reader signs in by the magic link from the outbox, and the editor
#    grants them the tier (a comp), so they read the paid article whole;
# 3. runs wrk against: the public article (anonymous, cached), the paid article for an anonymous reader (the cached
#    preview) and the paid article for the entitled member (rendered for them on every request, never cached);
# 4. prints req/s and p50/p99, and the anonymous paid figure as a ratio to the public article (goal: >= 0.95).
# Needs: cargo, python3, wrk, curl. Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15s}
CONNS=${2:-64}
OUT=bench/out-paywall
PORT=18090
BASE="http://127.0.0.1:$PORT"

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk)" >&2; exit 1; }
done
cargo build --release --locked -p newsdesk >&2
BIN=target/release/newsdesk
rm -rf "$OUT" && mkdir -p "$OUT"

TOKEN=$(NEWSDESK_LOG__LEVEL=warn "$BIN" token create --data "$OUT/data" --name bench --role editor 2>/dev/null)
echo "bench editor password" | NEWSDESK_LOG__LEVEL=warn "$BIN" user add --data "$OUT/data" --email editor@example.org \
  --name Editor --role admin --password-stdin >/dev/null
NEWSDESK_LOG__LEVEL=warn NEWSDESK_NARRATION__ENGINE=off "$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$PORT" --no-demo \
  2>"$OUT/serve.log" &
ND_PID=$!
trap 'kill "$ND_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
api -o /dev/null --data '{"name": "Ana Okafor"}' "$BASE/api/v1/authors"
BODY=$(python3 -c "
import json
para = ' '.join(['The harbour board met for four hours and the minutes run to forty pages.'] * 6)
print(json.dumps('\n\n'.join([para] * 12)))")
PAID_BODY=$(python3 -c "
import json, sys
body = json.loads(sys.argv[1]).split('\n\n')
print(json.dumps('\n\n'.join(body[:1] + ['<!--members-only-->'] + body[1:])))" "$BODY")
api -o /dev/null --data "{\"title\": \"Public story\", \"slug\": \"public-story\", \"body\": $BODY, \"authors\": [\"Ana Okafor\"], \"status\": \"published\"}" "$BASE/api/v1/posts"

# The editor signs in, makes a paid tier.
JAR="$OUT/staff-cookies"
CSRF=$(curl -s -c "$JAR" -b "$JAR" "$BASE/admin/signin" | grep -o 'name="csrf_token" value="[^"]*"' | cut -d'"' -f4)
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data-urlencode "email=editor@example.org" \
  --data-urlencode "password=bench editor password" "$BASE/admin/signin"
CSRF=$(curl -s -b "$JAR" "$BASE/admin/tiers" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | cut -d'"' -f4)
curl -s -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data "name=Supporter&monthly_price=5&active=1" "$BASE/admin/tiers"
TIER=$(curl -s -b "$JAR" "$BASE/admin/tiers" | grep -o 'href="/admin/tiers/[0-9]*">Supporter' | grep -o '[0-9]*' | head -1)
[ -n "$TIER" ] || { echo "bench: the tier was not made" >&2; exit 1; }
api -o /dev/null --data "{\"title\": \"Paid story\", \"slug\": \"paid-story\", \"body\": $PAID_BODY, \"authors\": [\"Ana Okafor\"], \"status\": \"published\", \"visibility\": \"paid\"}" "$BASE/api/v1/posts"

# A reader signs in by the link from the outbox; the editor grants them the tier.
curl -s -o /dev/null --data "email=reader@example.org" "$BASE/members/signin"
LINK=""
for _ in $(seq 1 100); do
  LINK=$(cat "$OUT"/data/outbox/*.eml 2>/dev/null | tr -d '\r' | sed 's/=$//' | tr -d '\n' | grep -o '/members/signin/[0-9a-f]\{64\}' | tail -1 || true)
  [ -n "$LINK" ] && break; sleep 0.1
done
[ -n "$LINK" ] || { echo "bench: no sign-in mail" >&2; exit 1; }
MJAR="$OUT/member-cookies"
curl -s -c "$MJAR" -o /dev/null -X POST "$BASE$LINK"
MEMBER_COOKIE=$(awk '$6 == "nd_member" {print $7}' "$MJAR")
[ -n "$MEMBER_COOKIE" ] || { echo "bench: the reader could not sign in" >&2; exit 1; }
MEMBER=$(curl -s -b "$JAR" "$BASE/admin/members?q=reader" | grep -o 'href="/admin/members/[0-9]*"' | grep -o '[0-9]*' | head -1)
curl -s -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data "tier=$TIER" "$BASE/admin/members/$MEMBER/comps"
curl -s -b "nd_member=$MEMBER_COOKIE" "$BASE/paid-story/" | grep -q 'class="paid-content"' \
  || { echo "bench: the member does not get the whole story" >&2; exit 1; }
curl -s "$BASE/paid-story/" | grep -q 'class="paywall' || { echo "bench: the anonymous page has no paywall" >&2; exit 1; }

run() { # name path [header]
  sleep 2
  local args=(-t2 -c"$CONNS" -d"$DURATION" --latency)
  [ -n "${3:-}" ] && args+=(-H "$3")
  wrk "${args[@]}" "$BASE$2" >"$OUT/wrk-$1.txt"
}
echo "== wrk -t2 -c$CONNS -d$DURATION" >&2
run public /public-story/
run paid-anon /paid-story/
run paid-member /paid-story/ "Cookie: nd_member=$MEMBER_COOKIE"
run public-again /public-story/

python3 - "$OUT" "$CONNS" <<'PY'
import re, sys
out, conns = sys.argv[1], sys.argv[2]
def parse(name):
    t = open(f"{out}/wrk-{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def pct(p):
        v, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
        return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return rps, pct(50), pct(99), int(errors.group(1)) if errors else 0
public = [parse("public"), parse("public-again")]
ref = sum(p[0] for p in public) / 2
lines = [f"Paywall cost, {conns} connections (wrk on loopback, 2 cores shared); reference: the public article, "
         f"measured before and after ({public[0][0]:.0f} and {public[1][0]:.0f} req/s)",
         f"{'page':52} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6}"]
for label, key in [("public article, anonymous (cached)", "public"),
                   ("paid article, anonymous (cached preview)", "paid-anon"),
                   ("paid article, entitled member (rendered, never cached)", "paid-member")]:
    r = parse(key)
    if r[3]:
        lines.append(f"  !! {r[3]} non-2xx responses")
    lines.append(f"{label:52} {r[0]:9.0f} {r[1]:7.2f} {r[2]:7.2f} {r[0]/ref:6.2f}")
text = "\n".join(lines)
print(text)
open(f"{out}/results.txt", "w").write(text + "\n")
PY
