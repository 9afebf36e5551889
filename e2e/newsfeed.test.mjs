// The live News Feed in a real browser: a reader has an article open; an editor, in another session, posts an
// item from the admin's quick form; the item appears on the reader's page without a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { shouldSkip, startServer, launch, noAxeViolations } from "./support.mjs";

const skip = shouldSkip();
let server, browser;

before(async () => {
  if (skip) return;
  server = await startServer();
  server.addStaff("desk@ledger.example", "editor", "a long enough password");
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("a News Feed item posted by an editor appears on an open article page without reloading", { skip }, async () => {
  const reader = await (await browser.newContext()).newPage();
  await reader.goto(`${server.baseUrl}/`);
  await reader.locator(".card-lead .card-title a").click();
  await reader.locator("#news-feed-list").waitFor();
  // Let the page open its event stream.
  await reader.waitForTimeout(1000);
  await reader.evaluate(() => { window.__notReloaded = true; });

  const editor = await (await browser.newContext()).newPage();
  await editor.goto(`${server.baseUrl}/admin/signin`);
  await editor.locator("#f-email").fill("desk@ledger.example");
  await editor.locator("#f-password").fill("a long enough password");
  await editor.getByRole("button", { name: "Sign in" }).click();
  await editor.waitForURL(/\/admin\/posts$/);
  await editor.getByRole("link", { name: "News Feed" }).click();
  await noAxeViolations(editor, "the News Feed desk");
  await editor.getByLabel("Headline").fill("Harbour bridge reopens after inspection");
  await editor.getByLabel("Summary").fill("Engineers signed the bridge off at 6 p.m.; traffic is flowing again.");
  await editor.getByRole("button", { name: "Post now" }).click();
  await editor.getByText("Posted to the News Feed").waitFor();

  const item = reader.locator("#news-feed-list .feed-item", { hasText: "Harbour bridge reopens after inspection" });
  await item.waitFor({ timeout: 15000 });
  assert.equal(await reader.evaluate(() => window.__notReloaded), true, "the page was not reloaded");
  assert.match(await item.locator("time").textContent(), /^\d{1,2}:\d{2}/, "a time of day, in the site's language (en-GB: 24-hour)");
  assert.equal(await reader.locator("#news-feed-list .feed-item").first().getAttribute("id"), await item.getAttribute("id"), "newest first");
  await noAxeViolations(reader, "an article page with the live News Feed");

  await reader.goto(`${server.baseUrl}/news-feed/`);
  await reader.getByRole("heading", { level: 1, name: "News Feed" }).waitFor();
  await noAxeViolations(reader, "the News Feed page");
});
