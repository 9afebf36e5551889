// A reader signs up for a newsletter from an article page, in a real browser: a malformed address gets the message
// beside the field, a good one the thank-you — inline, without leaving the page.
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

test("a newsletter signup answers inline, beside the field", { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/`);
  await page.locator(".card-lead .card-title a").click();
  const form = page.locator("section.newsletter-signup", { hasText: "Get The Morning Ledger in your inbox" });
  await form.waitFor();
  assert.match(await form.textContent(), /\* indicates required/);
  await page.evaluate(() => { window.__stayed = true; });

  await form.getByLabel("Email address").fill("reader@@ledger");
  await form.getByRole("button", { name: "Subscribe" }).click();
  await form.getByText("Please enter a correct email address.").waitFor();
  assert.equal(await form.getByLabel("Email address").getAttribute("aria-invalid"), "true");

  await form.getByLabel("Email address").fill("reader@ledger.example");
  await form.getByRole("button", { name: "Subscribe" }).click();
  await form.getByText("Thank you for signing up for this newsletter. We've sent you a confirmation email.").waitFor();
  assert.equal(await page.evaluate(() => window.__stayed), true, "no page reload");
  await noAxeViolations(page, "an article page after a signup");

  await page.goto(`${server.baseUrl}/newsletters/`);
  await page.getByRole("heading", { level: 1, name: "Newsletters" }).waitFor();
  await noAxeViolations(page, "the newsletters page");
});
