// A reader becomes a member in a real browser: a members-only story shows its preview and an invitation; the
// reader asks for a sign-in link (the mail lands in the outbox), opens it, presses the button, lands back on the
// story and reads it whole; signs out from their account page and sees only the preview again. axe-core finds
// nothing on the paywall, sign-in and account pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { shouldSkip, startServer, launch, noAxeViolations, outboxCount, signInLink } from "./support.mjs";

const skip = shouldSkip();
let server, browser, slug;
const SECRET = "The pilot boat logs show eleven missed crossings";

before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launch();
  const token = server.createToken("editor");
  const authors = await (await fetch(`${server.baseUrl}/api/v1/authors`)).json();
  const r = await fetch(`${server.baseUrl}/api/v1/posts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      title: "The missing crossings",
      excerpt: "What the pilot boat logs say.",
      body: `The harbour authority says the service ran to time.\n\n<!--members-only-->\n\n${SECRET}, our analysis found.\n`,
      authors: [authors.authors[0].slug],
      status: "published",
      visibility: "members",
    }),
  });
  const answer = await r.text();
  assert.equal(r.status, 201, answer);
  slug = JSON.parse(answer).post.slug;
});

after(async () => {
  await browser?.close();
  server?.stop();
});



test("a reader signs up by a link, reads a members-only story whole, signs out and sees the preview", { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/${slug}/`);
  await page.getByRole("heading", { name: "This story is for members" }).waitFor();
  assert.ok(!(await page.content()).includes(SECRET), "anonymous readers get the preview");
  await noAxeViolations(page, "the paywall");

  await page.getByRole("link", { name: "Create a free account" }).click();
  await page.waitForURL(/\/members\/signin\?next=/);
  await noAxeViolations(page, "the sign-in page");
  // A bad address: the message beside the field, nothing sent.
  const before = outboxCount(server.dataDir);
  await page.getByLabel("Email address").fill("not-an-address");
  await page.getByRole("button", { name: "Send me a sign-in link" }).click();
  await page.getByText("Please enter a correct email address.").waitFor();
  assert.equal(await page.getByLabel("Email address").getAttribute("aria-invalid"), "true");
  await page.getByLabel("Email address").fill("reader@example.org");
  await page.getByRole("button", { name: "Send me a sign-in link" }).click();
  await page.getByRole("heading", { name: "Check your inbox" }).waitFor();

  const link = await signInLink(server.dataDir, before);
  await page.goto(link);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(new RegExp(`/${slug}/$`));
  await page.getByText(SECRET).waitFor();
  assert.equal(await page.locator(".paywall").count(), 0, "no invitation for a member");

  await page.getByRole("link", { name: "Account" }).click();
  await page.getByText("Signed in as reader@example.org.").waitFor();
  await noAxeViolations(page, "the account page");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "You are signed out." }).waitFor();

  await page.goto(`${server.baseUrl}/${slug}/`);
  await page.getByRole("heading", { name: "This story is for members" }).waitFor();
  assert.ok(!(await page.content()).includes(SECRET), "signed out: the preview again");
  // The link was used: it signs nobody in again.
  await page.goto(link);
  await page.getByRole("heading", { name: "This sign-in link does not work any more" }).waitFor();
});
