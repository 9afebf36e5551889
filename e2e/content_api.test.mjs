// The Ghost-compatible Content API through Ghost's own client, @tryghost/content-api, unchanged: in Node (as a
// static-site generator uses it) and in chromium on another origin (as a front-end does, through CORS). Only
// published content appears; errors come back in Ghost's shape, which the client turns into its own errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { shouldSkip, startServer, launch } from "./support.mjs";

const require = createRequire(import.meta.url);
const GhostContentAPI = require("@tryghost/content-api");
const skip = shouldSkip();
let server, browser, key, token;

before(async () => {
  if (skip) return;
  server = await startServer({ NEWSDESK_NARRATION__ENGINE: "off" });
  browser = await launch();
  key = server.createContentKey();
  token = server.createToken("editor");
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("Ghost's client reads posts, pages, tags, authors and settings", { skip }, async () => {
  assert.match(key, /^[0-9a-f]{26}$/, "a Content API key is 26 hex characters");
  const api = new GhostContentAPI({ url: server.baseUrl, key, version: "v5.0" });

  const posts = await api.posts.browse({ limit: 15, include: "tags,authors" });
  assert.ok(posts.length > 3, "the demo stories");
  assert.equal(posts.meta.pagination.page, 1);
  assert.equal(posts.meta.pagination.limit, 15);
  assert.equal(posts.meta.pagination.total, posts.length);
  const lead = posts[0];
  for (const field of ["id", "uuid", "title", "slug", "html", "url", "excerpt", "reading_time", "published_at", "primary_author", "primary_tag", "tags", "authors"]) {
    assert.ok(field in lead, `posts have ${field}`);
  }
  assert.match(lead.published_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/, "ISO 8601 with an offset");
  assert.ok(lead.url.startsWith(server.baseUrl + "/"), "absolute URLs");
  assert.ok(lead.reading_time >= 1);
  assert.ok(posts.some((p) => p.authors.length > 1 && p.authors.some((a) => /desk/i.test(a.name))), "desks appear as authors");
  const times = posts.map((p) => Date.parse(p.published_at));
  assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");

  const one = await api.posts.read({ slug: lead.slug }, { include: "authors", formats: "html,plaintext" });
  assert.equal(one.id, lead.id);
  assert.ok(one.plaintext.length > 50, "plaintext format");
  assert.equal((await api.posts.read({ id: lead.id })).slug, lead.slug, "read by id");

  const tag = lead.primary_tag.slug;
  const inTag = await api.posts.browse({ filter: `tag:${tag}`, fields: "slug,title" });
  assert.ok(inTag.length >= 1);
  assert.deepEqual(Object.keys(inTag[0]).sort(), ["slug", "title"], "fields limits the output");
  const full = await api.posts.browse({ filter: `tags:[${tag}]+published_at:>'2000-01-01'`, include: "tags", limit: "all" });
  assert.ok(full.every((p) => p.tags.some((t) => t.slug === tag)));
  assert.equal(full.meta.pagination.limit, "all");
  const page2 = await api.posts.browse({ limit: 2, page: 2 });
  assert.equal(page2.meta.pagination.prev, 1);
  assert.notEqual(page2[0].id, posts[0].id);

  const tags = await api.tags.browse({ include: "count.posts", limit: "all" });
  assert.ok(tags.find((t) => t.slug === tag).count.posts >= 1);
  const authors = await api.authors.browse({ include: "count.posts" });
  assert.ok(authors.length >= 2);
  const author = await api.authors.read({ slug: lead.primary_author.slug });
  assert.equal(author.name, lead.primary_author.name);
  const pages = await api.pages.browse();
  assert.ok(Array.isArray(pages));
  const settings = await api.settings.browse();
  assert.equal(typeof settings.title, "string");
  assert.ok(settings.url.startsWith(server.baseUrl));
});

test("drafts never appear; errors are Ghost's", { skip }, async () => {
  const api = new GhostContentAPI({ url: server.baseUrl, key, version: "v5.0" });
  const [someone] = await api.authors.browse({ limit: 1 });
  const r = await fetch(`${server.baseUrl}/api/v1/posts`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ title: "Embargoed until Friday", markdown: "Not yet.", status: "draft", authors: [someone.slug] }),
  });
  assert.equal(r.status, 201, await r.text());
  const all = await api.posts.browse({ limit: "all" });
  assert.ok(!all.some((p) => p.title === "Embargoed until Friday"), "no drafts");
  await assert.rejects(api.posts.read({ slug: "embargoed-until-friday" }), (e) => e.name === "NotFoundError");
  await assert.rejects(api.posts.browse({ filter: "tag:(" }), (e) => e.name === "BadRequestError" && /filter/.test(e.message));
  await assert.rejects(api.posts.browse({ filter: "password:x" }), (e) => e.name === "BadRequestError");
  await assert.rejects(api.posts.browse({ limit: "lots" }), (e) => e.name === "ValidationError");
  const stranger = new GhostContentAPI({ url: server.baseUrl, key: "0123456789abcdef0123456789", version: "v5.0" });
  await assert.rejects(stranger.posts.browse(), (e) => e.name === "UnauthorizedError");
  // A content key is read-only: it is no Bearer token for the JSON API.
  const write = await fetch(`${server.baseUrl}/api/v1/posts`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: "{}" });
  assert.equal(write.status, 401);
});

test("a front-end on another origin reads it in the browser (CORS)", { skip }, async () => {
  // The front-end is a page of another server (another origin on this machine), loading the client's browser build.
  const bundle = readFileSync(require.resolve("@tryghost/content-api/umd/content-api.min.js"), "utf8");
  const frontend = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>Front-end</title><script>${bundle}</script><p>front-end</p>`);
  });
  await new Promise((ok) => frontend.listen(0, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${frontend.address().port}`;
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(origin + "/");
    const result = await page.evaluate(async ([url, key]) => {
      const api = new GhostContentAPI({ url, key, version: "v5.0" });
      const posts = await api.posts.browse({ limit: 3, include: "authors" });
      return { n: posts.length, author: posts[0].primary_author.name, origin: location.origin };
    }, [server.baseUrl, key]);
    assert.equal(result.origin, origin);
    assert.notEqual(result.origin, server.baseUrl, "a cross-origin read");
    assert.equal(result.n, 3);
    assert.ok(result.author.length > 0);
  } finally {
    frontend.close();
  }
});
