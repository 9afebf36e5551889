#!/usr/bin/env python3
"""Writes the two stories the document benchmark compares, as API request bodies: a 5,000-word story with 20
blocks of every common kind (document JSON), and a Markdown-only story of the same words.

    bench/story_blocks.py OUT_DIR MEDIA_ID
"""
import json
import random
import sys

out, media_id = sys.argv[1], int(sys.argv[2])
random.seed(7)
WORDS = ("harbour council tender dredging contract ferry quay budget islanders commuters vote board minutes "
         "operator fares fuel tide crane berth channel survey report mayor committee inquiry records").split()


def sentence(n):
    w = [random.choice(WORDS) for _ in range(n)]
    return " ".join(w).capitalize() + "."


def paragraph(words):
    parts, left = [], words
    while left > 0:
        n = min(left, random.randint(8, 18))
        parts.append(sentence(n))
        left -= n
    return " ".join(parts)


# 20 blocks: 12 paragraphs carry most of the words; the rest are the blocks a news story uses.
paras = [paragraph(400) for _ in range(12)]
extra = paragraph(200)
text = lambda s: [{"type": "text", "text": s}]
blocks = []
kinds = ["heading", "image", "pull_quote", "bullet_list", "gallery", "embed", "callout", "table"]
for i, p in enumerate(paras):
    blocks.append({"type": "paragraph", "content": [
        {"type": "text", "text": p[:200]},
        {"type": "text", "text": p[200:260], "marks": [{"type": "bold"}]},
        {"type": "text", "text": p[260:320], "marks": [{"type": "link", "attrs": {"href": "https://example.org/record"}}]},
        {"type": "text", "text": p[320:]}]})
    if i < len(kinds):
        k = kinds[i]
        if k == "heading":
            blocks.append({"type": "heading", "attrs": {"level": 2}, "content": text("What the board decided")})
        elif k == "image":
            blocks.append({"type": "image", "attrs": {"src": "", "media_id": media_id, "alt": "Cranes at the quay", "caption": "The quay at dawn.", "credit": "Photo: Tidewater Wire", "size": "wide"}})
        elif k == "pull_quote":
            blocks.append({"type": "pull_quote", "attrs": {"attribution": "Harbour board chair"}, "content": text(sentence(14))})
        elif k == "bullet_list":
            blocks.append({"type": "bullet_list", "content": [{"type": "list_item", "content": [{"type": "paragraph", "content": text(sentence(12))}]} for _ in range(5)]})
        elif k == "gallery":
            blocks.append({"type": "gallery", "attrs": {"images": [{"src": "", "media_id": media_id, "alt": f"View {n}"} for n in range(4)], "caption": "The harbour in pictures"}})
        elif k == "embed":
            blocks.append({"type": "embed", "attrs": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "title": "The board meeting"}})
        elif k == "callout":
            blocks.append({"type": "callout", "attrs": {"title": "Fact box"}, "content": [{"type": "paragraph", "content": text(extra)}]})
        elif k == "table":
            row = lambda cells, t: {"type": "table_row", "content": [{"type": t, "content": text(c)} for c in cells]}
            blocks.append({"type": "table", "content": [row(["Year", "Tonnes", "Cost"], "table_header")] + [row([str(2020 + y), str(1000 + y * 37), f"€{y + 2}m"], "table_cell") for y in range(6)]})
assert len(blocks) == 20, len(blocks)
# The image blocks name the library file by id; the server fills the address.
for b in blocks:
    if b["type"] == "image":
        b["attrs"]["src"] = "/media/x/1.jpg"
    if b["type"] == "gallery":
        for f in b["attrs"]["images"]:
            f["src"] = "/media/x/1.jpg"
doc = {"type": "doc", "version": 1, "content": blocks}
all_text = " ".join(paras) + " " + extra
markdown = "\n\n".join(paras + [extra])
words = len(all_text.split())
json.dump({"title": "Harbour board opens the dredging contract", "document": doc, "status": "published", "authors": ["Bench Desk"]},
          open(f"{out}/blocks.json", "w"))
json.dump({"title": "Harbour board opens the dredging contract in Markdown", "markdown": markdown, "status": "published", "authors": ["Bench Desk"]},
          open(f"{out}/markdown.json", "w"))
print(words)
