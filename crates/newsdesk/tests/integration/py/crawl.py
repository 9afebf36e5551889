"""Crawls a static mirror over HTTP from its home page: every href/src/srcset of every HTML page must answer 200.
Usage: crawl.py BASE_URL. Prints {"pages": n, "checked": n, "broken": [[page, link, status]...]}."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

base = sys.argv[1].rstrip("/") + "/"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src") and not (tag == "link" and dict(attrs).get("rel") == "canonical") and not value.startswith(("mailto:", "tel:", "#")):
                self.links.append(value)
            elif name == "srcset":
                self.links.extend(c.strip().split(" ")[0] for c in value.split(","))


def get(url):
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, "", b""


seen, queue, broken, pages, checked = {base}, [base], [], 0, 0
while queue:
    url = queue.pop()
    status, ctype, body = get(url)
    if status != 200 or "html" not in ctype:
        continue
    pages += 1
    parser = Links()
    parser.feed(body.decode("utf-8", "replace"))
    for link in parser.links:
        target = urllib.parse.urljoin(url, link).split("#")[0]
        if not target.startswith(base) and urllib.parse.urlparse(link).scheme:
            continue  # absolute links to the real site (canonical, og) are not part of the mirror
        if target in seen:
            continue
        seen.add(target)
        checked += 1
        code, ctype2, _ = get(target)
        if code != 200:
            broken.append([url, link, code])
        elif "html" in ctype2:
            queue.append(target)
print(json.dumps({"pages": pages, "checked": checked, "broken": broken}))
