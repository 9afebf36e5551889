// A reader searches the demo newsroom in a real browser: from the header of any page (without JavaScript too),
// then on /search/ the results change as they type — no reload, the address kept in step — with the matched words
// highlighted; the filters narrow them; axe-core finds nothing on the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { shouldSkip, startServer, launch, noAxeViolations } from "./support.mjs";

const skip = shouldSkip();
let server, browser;

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the header's search works without JavaScript", { skip }, async () => {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`${server.baseUrl}/`);
  await page.getByRole("searchbox", { name: "Search this site" }).fill("dredging contract");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/search\/\?q=dredging\+contract$/);
  const first = page.locator(".result").first();
  assert.match(await first.locator(".result-title").textContent(), /dredging contract/i);
  assert.ok((await first.locator("mark").count()) > 0, "matched words are highlighted");
});

test("results change as the reader types, and filters narrow them", { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/search/`);
  await page.getByText("Type what you are looking for").waitFor();
  await page.evaluate(() => { window.__stayed = true; });
  const box = page.getByRole("searchbox", { name: "Search for" });
  await box.pressSequentially("night bu", { delay: 40 });
  await page.locator(".search-summary", { hasText: /results? for “night bu”/ }).waitFor();
  assert.match(await page.locator(".result-title").first().textContent(), /night-bus trial/i, "a half-typed last word");
  assert.match(page.url(), /\/search\/\?q=night\+bu$/, "the address follows");
  assert.equal(await page.evaluate(() => window.__stayed), true, "no page reload");

  await box.fill("harbour");
  await page.locator(".search-summary", { hasText: "for “harbour”" }).waitFor();
  const all = Number((await page.locator(".search-summary").textContent()).match(/^(\d+)/)[1]);
  await page.getByText("Filters and order").click();
  await page.getByLabel("Author or desk").selectOption({ label: "Ledger news desk" });
  await page.waitForURL(/author=ledger-news-desk/);
  const some = Number((await page.locator(".search-summary").textContent()).match(/^(\d+)|^Nothing/)[1] || 0);
  assert.ok(some < all, `the desk filter narrows ${all} results to ${some}`);
  await noAxeViolations(page, "the search page with filters open");

  await box.fill("zzqx nothing like this");
  await page.getByText("Nothing found for “zzqx nothing like this”").waitFor();
  await noAxeViolations(page, "the search page with nothing found");
});
