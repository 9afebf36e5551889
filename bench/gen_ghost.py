#!/usr/bin/env python3
"""Writes a Ghost export of N stories for bench/import.sh, made from the real Ghost 6 export in the tests' fixtures
(tests/fixtures/ghost/export.json): every story a copy of one of its published stories, with both of Ghost's bodies
(`html` and `lexical`, as Ghost writes them) grown to about 600 words, its own id, slug, title and date, two of 40
authors, two of 30 tags, a feature image with alt and caption in `posts_meta`, and one in fifty a draft.

    gen_ghost.py N OUT_DIR   → OUT_DIR/export.json, OUT_DIR/content/, OUT_DIR/first-slug
"""
import copy, json, os, random, shutil, sys

n, out = int(sys.argv[1]), sys.argv[2]
fixture = os.path.join(os.path.dirname(__file__), "..", "crates/newsdesk/tests/fixtures/ghost")
random.seed(7)
os.makedirs(out, exist_ok=True)
shutil.rmtree(os.path.join(out, "content"), ignore_errors=True)
shutil.copytree(os.path.join(fixture, "content"), os.path.join(out, "content"))
export = json.load(open(os.path.join(fixture, "export.json")))
data = export["db"][0]["data"]
models = [p for p in data["posts"] if p["status"] == "published" and p["visibility"] == "public" and p["type"] == "post"]
words = "harbour council ferry barrier dredging tide quay river budget vote court wall silt pension board port".split()


def oid(kind, i):
    return f"{kind:02x}{i:022x}"


def sentence():
    return " ".join(random.choice(words) for _ in range(12)).capitalize() + "."


filler_html = "".join(f"<p>{' '.join(sentence() for _ in range(4))}</p>" for _ in range(8))
filler_nodes = [
    {"children": [{"detail": 0, "format": 0, "mode": "normal", "style": "", "text": " ".join(sentence() for _ in range(4)), "type": "extended-text", "version": 1}],
     "direction": "ltr", "format": "", "indent": 0, "type": "paragraph", "version": 1}
    for _ in range(8)
]
users = [dict(copy.deepcopy(data["users"][0]), id=oid(1, a), slug=f"reporter-{a}", name=f"Reporter {a}", email=f"r{a}@bench.example", profile_image=None) for a in range(40)]
tags = [dict(copy.deepcopy(data["tags"][1]), id=oid(2, t), slug=f"section-{t}", name=f"Section {t}") for t in range(30)]
posts, meta, posts_tags, posts_authors = [], [], [], []
for i in range(n):
    p = copy.deepcopy(models[i % len(models)])
    p["id"] = oid(3, i)
    p["uuid"] = f"00000000-0000-4000-8000-{i:012x}"
    p["slug"] = f"story-{i}-" + "-".join(random.sample(words, 3))
    p["title"] = sentence()[:90]
    p["html"] = p["html"] + filler_html
    lexical = json.loads(p["lexical"])
    lexical["root"]["children"] += filler_nodes
    p["lexical"] = json.dumps(lexical)
    p["published_at"] = f"20{10 + i % 15:02}-{1 + i % 12:02}-{1 + i % 28:02}T08:00:00.000Z"
    if i % 50 == 7:
        p["status"], p["published_at"] = "draft", None
    if i == 0:
        open(os.path.join(out, "first-slug"), "w").write(p["slug"])
    posts.append(p)
    meta.append({"id": oid(4, i), "post_id": p["id"], "feature_image_alt": sentence(), "feature_image_caption": f"{sentence()} Photo: Bench Wire", "meta_title": None, "meta_description": None, "email_only": 0})
    for k, t in enumerate(random.sample(tags, 2)):
        posts_tags.append({"id": oid(5, 2 * i + k), "post_id": p["id"], "tag_id": t["id"], "sort_order": k})
    for k, a in enumerate(random.sample(users, 2)):
        posts_authors.append({"id": oid(6, 2 * i + k), "post_id": p["id"], "author_id": a["id"], "sort_order": k})
data.update(posts=posts, posts_meta=meta, posts_tags=posts_tags, posts_authors=posts_authors, users=users, tags=tags)
data["roles_users"] = [{"id": oid(7, 0), "role_id": next(r["id"] for r in data["roles"] if r["name"] == "Owner"), "user_id": users[0]["id"]}]
json.dump(export, open(os.path.join(out, "export.json"), "w"))
