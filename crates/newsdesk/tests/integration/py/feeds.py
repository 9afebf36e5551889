"""Parses feeds with feedparser (a real feed parser) and prints a JSON summary. Usage: feeds.py FILE...

feedparser 6.0 (the current release) does not read JSON Feed, so `.json` files are checked here against the
JSON Feed 1.1 specification's required members instead, and summarised in the same shape."""
import datetime
import json
import sys

import feedparser


def json_feed(path):
    doc = json.load(open(path, encoding="utf-8"))
    problems = []
    if doc.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version")
    if not isinstance(doc.get("title"), str):
        problems.append("title")
    items = doc.get("items")
    if not isinstance(items, list):
        problems.append("items")
        items = []

    def when(s):
        return s and list(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).utctimetuple())[:6]

    entries = []
    for i in items:
        if not isinstance(i.get("id"), str) or not (i.get("content_html") or i.get("content_text") is not None):
            problems.append(f"item {i.get('id')}: id and content required")
        entries.append({
            "title": i.get("title"), "link": i.get("url"), "published": when(i.get("date_published")),
            "updated": when(i.get("date_modified")), "authors": [a.get("name") for a in i.get("authors", [])],
            "enclosures": [{"href": a.get("url"), "type": a.get("mime_type"), "length": str(a.get("size_in_bytes", ""))} for a in i.get("attachments", [])],
            "content": i.get("content_html", ""), "summary": i.get("summary", ""), "tags": i.get("tags", []),
        })
    return {"bozo": bool(problems), "bozo_exception": ", ".join(problems), "version": "json11", "title": doc.get("title"), "entries": entries}


out = {}
for path in sys.argv[1:]:
    if path.endswith(".json"):
        out[path] = json_feed(path)
        continue
    d = feedparser.parse(path)
    out[path] = {
        "bozo": bool(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.version,
        "title": d.feed.get("title"),
        "entries": [
            {
                "title": e.get("title"),
                "link": e.get("link"),
                "published": e.get("published_parsed") and list(e.published_parsed)[:6],
                "updated": e.get("updated_parsed") and list(e.updated_parsed)[:6],
                "authors": [a.get("name") for a in e.get("authors", []) if a.get("name")],
                "enclosures": [{"href": x.get("href"), "type": x.get("type"), "length": x.get("length")} for x in e.get("enclosures", [])],
                "content": (e.get("content") or [{}])[0].get("value", ""),
                "summary": e.get("summary", ""),
                "tags": [t.get("term") for t in e.get("tags", [])],
            }
            for e in d.entries
        ],
    }
print(json.dumps(out))
