#!/usr/bin/env bash
# The document model's cost: saving a 5,000-word story with 20 blocks (render + store, through the JSON API) and
# opening it in the rich-text editor (chromium), and the public page's req/s beside a Markdown-only story of the same
# words, in the same run (goal: within 5 %).
#
#   bench/documents.sh [DURATION=15s] [CONNECTIONS=64] [SAVES=30]
#
# Needs: cargo, python3, curl, wrk, node with e2e/node_modules (cd e2e && npm ci), Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-15s}
CONNS=${2:-64}
SAVES=${3:-30}
OUT=bench/out-documents
PORT=18090
for tool in wrk python3 curl node; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -d e2e/node_modules/playwright-core ] || (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release --locked -p newsdesk >&2
BIN=target/release/newsdesk
rm -rf "$OUT" && mkdir -p "$OUT"
export NEWSDESK_LOG__LEVEL=warn
"$BIN" migrate --data "$OUT/data" >/dev/null
TOKEN=$("$BIN" token create --data "$OUT/data" --name bench --role editor 2>/dev/null)
echo "bench staff password" | "$BIN" user add --data "$OUT/data" --email bench@example.org --name Bench --role editor --password-stdin >/dev/null
"$BIN" serve --data "$OUT/data" --listen "127.0.0.1:$PORT" --no-demo --no-worker 2>"$OUT/serve.log" &
ND_PID=$!
trap 'kill $ND_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
API="http://127.0.0.1:$PORT/api/v1"
auth=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json")
python3 - "$OUT/photo.png" <<'PY'
import sys, zlib, struct
w, h = 1600, 900
raw = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(w * 3)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
PY
MEDIA=$(curl -sf -H "Authorization: Bearer $TOKEN" -F "file=@$OUT/photo.png" "$API/media" | python3 -c 'import json,sys; print(json.load(sys.stdin)["media"]["id"])')
WORDS=$(python3 bench/story_blocks.py "$OUT" "$MEDIA")
echo "== stories: $WORDS words each; the block story has 20 blocks" >&2
# The desk both stories are bylined to, added through the admin's form (the API takes existing authors only).
JAR="$OUT/cookies"
CSRF=$(curl -s -c "$JAR" -b "$JAR" "http://127.0.0.1:$PORT/admin/signin" | grep -o 'name="csrf_token" value="[^"]*"' | cut -d'"' -f4)
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data-urlencode "email=bench@example.org" \
  --data-urlencode "password=bench staff password" "http://127.0.0.1:$PORT/admin/signin"
SESSION=$(awk '$6 == "nd_session" {print $7}' "$JAR")
[ -n "$SESSION" ] || { echo "bench: could not sign in" >&2; exit 1; }
CSRF=$(curl -s -b "$JAR" "http://127.0.0.1:$PORT/admin/authors" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | cut -d'"' -f4)
curl -s -b "$JAR" -o /dev/null -F "csrf_token=$CSRF" -F "name=Bench Desk" -F "kind=desk" "http://127.0.0.1:$PORT/admin/authors"

save() { # body-file → "seconds id revision"
  curl -s -o "$OUT/last.json" -w '%{time_total}' "${auth[@]}" --data-binary "@$1" "$API/posts"
  python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["post"]; print("", p["id"], p["slug"])' "$OUT/last.json"
}
: >"$OUT/saves-blocks"; : >"$OUT/saves-markdown"
for i in $(seq 1 "$SAVES"); do
  python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); b["title"]+=f" {sys.argv[2]}"; json.dump(b, open(sys.argv[3], "w"))' "$OUT/blocks.json" "$i" "$OUT/b.json"
  python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); b["title"]+=f" {sys.argv[2]}"; json.dump(b, open(sys.argv[3], "w"))' "$OUT/markdown.json" "$i" "$OUT/m.json"
  save "$OUT/b.json" >>"$OUT/saves-blocks"
  save "$OUT/m.json" >>"$OUT/saves-markdown"
done
BLOCK_ID=$(tail -1 "$OUT/saves-blocks" | awk '{print $2}'); BLOCK_SLUG=$(tail -1 "$OUT/saves-blocks" | awk '{print $3}')
MD_SLUG=$(tail -1 "$OUT/saves-markdown" | awk '{print $3}')
grep -q 'class="gallery' <(curl -sf "http://127.0.0.1:$PORT/$BLOCK_SLUG/") || { echo "bench: the block story did not render its gallery" >&2; exit 1; }
curl -sf "http://127.0.0.1:$PORT/$BLOCK_SLUG/" -o "$OUT/blocks.html"; curl -sf "http://127.0.0.1:$PORT/$MD_SLUG/" -o "$OUT/markdown.html"
EDITOR=$(node bench/editor_open.mjs "http://127.0.0.1:$PORT" "$BLOCK_ID" "$SESSION" 7)
EDIT_PAGE=$(curl -s -o /dev/null -w '%{time_total}' -b "$JAR" "http://127.0.0.1:$PORT/admin/posts/$BLOCK_ID/edit")
run() { sleep 2; wrk -t2 -c"$CONNS" -d"$DURATION" --latency ${3:+-H "$3"} "http://127.0.0.1:$PORT/$2/" >"$OUT/wrk-$1.txt"; }
echo "== wrk -t2 -c$CONNS -d$DURATION, alternating; as browsers ask (brotli) and uncompressed" >&2
BR="Accept-Encoding: br, gzip"
run md1 "$MD_SLUG" "$BR"; run blocks1 "$BLOCK_SLUG" "$BR"; run md2 "$MD_SLUG" "$BR"; run blocks2 "$BLOCK_SLUG" "$BR"
run mdraw1 "$MD_SLUG"; run blocksraw1 "$BLOCK_SLUG"; run mdraw2 "$MD_SLUG"; run blocksraw2 "$BLOCK_SLUG"
curl -s -H "$BR" "http://127.0.0.1:$PORT/$BLOCK_SLUG/" -o "$OUT/blocks.html.br"; curl -s -H "$BR" "http://127.0.0.1:$PORT/$MD_SLUG/" -o "$OUT/markdown.html.br"
python3 - "$OUT" "$WORDS" "$EDITOR" "$EDIT_PAGE" <<'PY'
import json, re, statistics, sys, os
out, words, editor, edit_page = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
def saves(name):
    return sorted(float(l.split()[0]) * 1000 for l in open(f"{out}/saves-{name}") if l.strip())
def rps(name):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", open(f"{out}/wrk-{name}.txt").read()).group(1))
b, m = saves("blocks"), saves("markdown")
pb, pm = (rps("blocks1") + rps("blocks2")) / 2, (rps("md1") + rps("md2")) / 2
rb, rm = (rps("blocksraw1") + rps("blocksraw2")) / 2, (rps("mdraw1") + rps("mdraw2")) / 2
lines = [f"A {words}-word story: 20 blocks (document JSON) vs the same words as Markdown; {len(b)} saves each through POST /api/v1/posts",
         f"save (render + store + HTTP), median / p90 ms: blocks {statistics.median(b):.1f} / {b[int(len(b)*0.9)-1]:.1f}   markdown {statistics.median(m):.1f} / {m[int(len(m)*0.9)-1]:.1f}",
         f"open in the editor: page {edit_page*1000:.1f} ms from the server; in chromium until the editor holds the story: median {editor['median_ms']:.0f} ms (min {editor['min_ms']:.0f}, max {editor['max_ms']:.0f}, {editor['runs']} loads)",
         f"page sizes: blocks {os.path.getsize(out + '/blocks.html')} bytes ({os.path.getsize(out + '/blocks.html.br')} brotli), markdown {os.path.getsize(out + '/markdown.html')} bytes ({os.path.getsize(out + '/markdown.html.br')} brotli)",
         f"public page req/s, as browsers ask (Accept-Encoding: br), mean of two alternating runs: blocks {pb:.0f}, markdown {pm:.0f}, ratio {pb/pm:.3f} (goal >= 0.95)",
         f"public page req/s, uncompressed: blocks {rb:.0f}, markdown {rm:.0f}, ratio {rb/rm:.3f} (the block page carries more markup: <picture> sources, a table, a gallery)"]
text = "\n".join(lines)
print(text)
open(f"{out}/results.txt", "w").write(text + "\n")
PY
