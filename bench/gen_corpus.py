#!/usr/bin/env python3
"""Writes N invented news articles as Markdown with YAML front matter (the importer's format).

Deterministic (seeded), ~450-900 words each, 24 reporters, 4 desks, 16 tags, a few headings and lists, so pages
look like a real newsroom's. Usage: gen_corpus.py OUT_DIR N
"""
import random
import sys
from pathlib import Path

WORDS = ("harbour council ferry budget residents tide housing school library estuary market workers port "
         "contract board vote plan report inquiry storm barrier night bus route fares hospital nurses shift "
         "funding repairs quay fishermen licence planning committee audit records minutes tender developer "
         "flats rent tenants landlord survey beach erosion wall lifeboat volunteers festival museum archive "
         "police court hearing judge witness statement spokesperson officials documents deadline delay costs").split()
FIRST = "Ana Ben Cara Dev Esme Femi Gus Hana Ivo Jun Kai Lena Milo Nia Omar Pia Quin Rosa Sami Tove Uma Vik Wren Yara".split()
LAST = "Okafor Reyes Lindqvist Adeyemi Moreau Novak Haddad Petrakis Mensah Kowalski Tanaka Duarte".split()
TAGS = ["Investigation", "City Hall", "Climate", "Transport", "Housing", "Health", "Education", "Culture",
        "Sport", "Port", "Courts", "Business", "Environment", "Politics", "Community", "Opinion"]
DESKS = ["Ledger news desk", "Ledger investigations desk", "Ledger data desk", "Ledger sports desk"]


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 22))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def main():
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    people = [f"{f} {l}" for f in FIRST for l in LAST][:24]
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 11))).capitalize() + f" ({i})"
        authors = [rng.choice(people)]
        if rng.random() < 0.5:
            authors.append({"name": rng.choice(DESKS), "kind": "desk"})
        tags = rng.sample(TAGS, rng.randint(1, 3))
        body = []
        for s in range(rng.randint(6, 11)):
            if s and s % 4 == 0:
                body.append("## " + sentence(rng)[:-1])
            body.append(paragraph(rng))
            if s == 3:
                body.append("\n".join("- " + sentence(rng) for _ in range(3)))
        day = 1 + (i * 7) % 28
        month = 1 + (i // 28) % 10
        authors_yaml = "\n".join(
            f"  - {{ name: \"{a['name']}\", kind: desk }}" if isinstance(a, dict) else f"  - \"{a}\"" for a in authors)
        front = (f"---\ntitle: \"{title}\"\nslug: story-{i}\nexcerpt: \"{sentence(rng)}\"\nauthors:\n{authors_yaml}\n"
                 f"tags: [{', '.join(tags)}]\nstatus: published\n"
                 f"published_at: 2026-{month:02d}-{day:02d}T{(i % 24):02d}:{(i % 60):02d}:00Z\n---\n")
        (out / f"story-{i:05d}.md").write_text(front + "\n\n".join(body) + "\n")


if __name__ == "__main__":
    main()
