// Feed readers un-escape an RSS <description> once and render what is left as HTML. Regression for issue 10: text
// put into descriptions was XML-escaped only once, so an excerpt reading `&lt;img src=x onerror=…&gt;` ran in the
// reader. Every payload of fixtures/xss-payloads.txt goes in through each input that reaches a description —
// excerpts, correction notes, News Feed summaries and retraction notes, tag descriptions and names, author bios —
// and every description of every feed is then rendered as HTML in chromium, as a reader would. Nothing may run,
// navigate or make an element: each description must render as exactly the text staff typed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { shouldSkip, startServer, launch } from "./support.mjs";

const skip = shouldSkip();
const PAYLOADS = readFileSync(new URL("./fixtures/xss-payloads.txt", import.meta.url), "utf8").split("\n").filter((l) => l.trim() !== "");
let server, browser, api, admin, csrf;

before(async () => {
  if (skip) return;
  // The most entries a feed lists; narration off (hundreds of stories would only keep espeak-ng busy).
  server = await startServer({ NEWSDESK_FEEDS__ITEMS: "200", NEWSDESK_NARRATION__ENGINE: "off" });
  browser = await launch();
  const token = server.createToken("editor");
  const ctx = await browser.newContext({ baseURL: server.baseUrl });
  api = async (method, path, data) => {
    const r = await ctx.request.fetch(path, { method, data, headers: { Authorization: `Bearer ${token}` } });
    assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`);
    return r.json();
  };
  // A signed-in editor for the admin forms (tags, authors, corrections).
  server.addStaff("desk@ledger.example", "editor", "a long enough password");
  const page = await ctx.newPage();
  await page.goto("/admin/signin");
  await page.locator("#f-email").fill("desk@ledger.example");
  await page.locator("#f-password").fill("a long enough password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/admin\/posts$/);
  await page.goto("/admin/tags");
  csrf = await page.locator("input[name=csrf_token]").first().inputValue();
  admin = async (path, form, multipart = false) => {
    const r = await ctx.request.post(path, { [multipart ? "multipart" : "form"]: { csrf_token: csrf, ...form }, maxRedirects: 0, headers: { Origin: server.baseUrl } });
    return r.status();
  };
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** The descriptions (channel and items) of a feed, as the reader sees them after one XML un-escaping. */
async function descriptions(page, path) {
  const r = await page.request.get(server.baseUrl + path);
  assert.equal(r.status(), 200, path);
  const xml = await r.text();
  return page.evaluate((xml) => {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.querySelector("parsererror")) throw new Error("not well-formed XML");
    return [...doc.querySelectorAll("channel > description, item > description")].map((e) => e.textContent);
  }, xml);
}

/**
 * Renders each description as HTML in one document, the way a reader lists items, and reports what happened:
 * scripts that ran (dialogs, calls to __xss), navigations and requests, and any element the markup made.
 */
async function render(descs) {
  const context = await browser.newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  const hits = [];
  await page.exposeFunction("__xss", (n) => hits.push(`__xss(${n})`));
  page.on("dialog", async (d) => { hits.push(`dialog ${d.type()}: ${d.message()}`); await d.dismiss(); });
  page.on("request", (r) => { if (!r.url().startsWith("data:") && r.url() !== "about:blank") hits.push(`request ${r.url()}`); });
  page.on("framenavigated", (f) => { if (f === page.mainFrame() && f.url() !== "about:blank") hits.push(`navigated to ${f.url()}`); });
  const html = "<!doctype html><html><body>" + descs.map((d, i) => `<article id="d${i}">${d}</article>`).join("\n") + "</body></html>";
  await page.setContent(html, { waitUntil: "load" });
  await page.waitForTimeout(300);
  // Whatever a click would trigger (links, form buttons the markup made).
  for (const el of await page.locator("#xssclick").all()) await el.click({ timeout: 500 }).catch(() => {});
  await page.waitForTimeout(100);
  const shown = await page.evaluate((n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const a = document.getElementById(`d${i}`);
      out.push({ elements: a ? a.querySelectorAll("*").length : -1, text: a ? a.textContent : null });
    }
    return out;
  }, descs.length).catch((e) => { hits.push(`page gone: ${e.message}`); return []; });
  await context.close();
  return { hits, shown };
}

/** Asserts that every description rendered as plain text, holding the payloads it is expected to hold. */
function assertInert(label, result, expected) {
  assert.deepEqual(result.hits, [], `${label}: something ran`);
  const withElements = result.shown.map((s, i) => [i, s]).filter(([, s]) => s.elements !== 0);
  assert.deepEqual(withElements.map(([i]) => i), [], `${label}: descriptions made elements`);
  const text = result.shown.map((s) => s.text).join("\n");
  const missing = expected.filter((p) => !text.includes(p));
  assert.deepEqual(missing, [], `${label}: payloads not shown as typed`);
}

test("the detector sees a payload run when a description is escaped only once", { skip }, async () => {
  // What the feeds produced before the fix: the payload as markup after one un-escaping.
  const result = await render(["<img src=x onerror=top.__xss(1)>", "<script>alert(1)</script>", "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">"]);
  assert.ok(result.hits.some((h) => h === "__xss(1)"), `onerror ran: ${result.hits}`);
  assert.ok(result.hits.some((h) => h.startsWith("dialog")), "the script ran");
  assert.ok(result.hits.some((h) => h.includes("evil.example")), "the refresh was seen");
});

test(`${PAYLOADS.length} payloads through every input render as text in every feed reader's view`, { skip, timeout: 900000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.baseUrl + "/");
  const author = "Maren Okafor";
  const refused = [];

  // Stories: the excerpt, and a correction note appended to each. Feeds list at most 200 entries, so the stories
  // go in batches, each checked in the site, tag and author feeds before the next.
  for (let start = 0; start < PAYLOADS.length; start += 150) {
    const batch = PAYLOADS.slice(start, start + 150);
    for (const [j, p] of batch.entries()) {
      const { post } = await api("POST", "/api/v1/posts", { title: `Payload story ${start + j}`, excerpt: p, body: "Body.", authors: [author], tags: ["Payloads"], status: "published" });
      const status = await admin(`/admin/posts/${post.id}/corrections`, { kind: "correction", body: p });
      if (status !== 303) refused.push(`correction ${start + j}: ${status}`);
    }
    for (const path of ["/rss/", "/tag/payloads/rss/", "/author/maren-okafor/rss/"]) {
      const descs = await descriptions(page, path);
      assert.ok(descs.length > batch.length, `${path} lists the batch (${descs.length})`);
      assertInert(`${path}, stories ${start}…`, await render(descs), batch);
    }
  }
  // Tags (a description each, and names alone where they fit) and authors' bios.
  for (const [i, p] of PAYLOADS.entries()) {
    if ((await admin("/admin/tags", { name: `Payload tag ${i}`, slug: `payload-tag-${i}`, description: p })) !== 303) refused.push(`tag ${i}`);
    if (p.length <= 100 && (await admin("/admin/tags", { name: p, slug: `payload-name-${i}` })) !== 303) refused.push(`tag name ${i}`);
    if ((await admin("/admin/authors", { name: `Payload writer ${i}`, slug: `payload-writer-${i}`, kind: "person", bio: p }, true)) !== 303) refused.push(`author ${i}`);
  }
  assert.deepEqual(refused, [], "every payload was accepted as text");

  // Channel descriptions: each tag's description, each tag named by a payload, each author's bio.
  const channels = [];
  for (const i of PAYLOADS.keys()) {
    channels.push((await descriptions(page, `/tag/payload-tag-${i}/rss/`))[0]);
    channels.push((await descriptions(page, `/author/payload-writer-${i}/rss/`))[0]);
    if (PAYLOADS[i].length <= 100) channels.push((await descriptions(page, `/tag/payload-name-${i}/rss/`))[0]);
  }
  assertInert("channel descriptions", await render(channels), PAYLOADS);

  // The News Feed shows its newest 25: post a batch of items, retract each with a note, check, repeat.
  for (let start = 0; start < PAYLOADS.length; start += 12) {
    const batch = PAYLOADS.slice(start, start + 12);
    for (const p of batch) {
      const { feed_item: item } = await api("POST", "/api/v1/feed-items", { headline: `Update ${start}`, summary: p });
      await api("POST", `/api/v1/feed-items/${item.id}/retract`, { note: p.slice(0, 500) });
      await api("POST", "/api/v1/feed-items", { headline: `Update ${start} (kept)`, summary: p });
    }
    const descs = await descriptions(page, "/news-feed/rss/");
    assertInert(`News Feed items ${start}…`, await render(descs), batch);
  }
  await page.close();
});
