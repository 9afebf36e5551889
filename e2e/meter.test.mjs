// The meter in a real browser: on a site that gives readers without an account one free story a month, meter.js
// fills the cached page's preview with the rest of the first story and says it was the last free one; the next
// story stays a preview with the register prompt; and without JavaScript a reader gets the preview and the prompt,
// never the whole story.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { shouldSkip, startServer, launch, noAxeViolations } from "./support.mjs";

const skip = shouldSkip();
const REST = (n) => `The lock logbook had ${n} missing pages`;
let server, browser;
const slugs = [];

before(async () => {
  if (skip) return;
  server = await startServer({ NEWSDESK_PAYMENTS__METER: "1" });
  browser = await launch();
  const token = server.createToken("editor");
  const authors = await (await fetch(`${server.baseUrl}/api/v1/authors`)).json();
  for (const n of [1, 2]) {
    const r = await fetch(`${server.baseUrl}/api/v1/posts`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        title: `The lock keeper's logbook, part ${n}`,
        body: `The canal trust opened its archive this week.\n\n${REST(n)}, the trust said.\n\nThe inquiry resumes in spring.\n`,
        authors: [authors.authors[0].slug],
        status: "published",
      }),
    });
    const answer = await r.text();
    assert.equal(r.status, 201, answer);
    slugs.push(JSON.parse(answer).post.slug);
  }
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the meter opens one free story, then asks the reader to register", { skip }, async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/${slugs[0]}/`);
  await page.getByText(REST(1)).waitFor();
  await page.getByRole("heading", { name: /This was your last free story this month/ }).waitFor();
  await page.getByText("The inquiry resumes in spring.").waitFor();
  await noAxeViolations(page, "a metered story, opened");

  await page.goto(`${server.baseUrl}/${slugs[1]}/`);
  await page.getByRole("heading", { name: /You have read your 1 free story this month/ }).waitFor();
  assert.ok(!(await page.content()).includes(REST(2)), "past the meter: the preview only");
  await page.getByRole("link", { name: "Create a free account" }).waitFor();
  await noAxeViolations(page, "a metered story, past the meter");

  // The first story stays open for the month.
  await page.goto(`${server.baseUrl}/${slugs[0]}/`);
  await page.getByText(REST(1)).waitFor();
});

test("without JavaScript a metered story is its preview and the prompt, never the whole", { skip }, async () => {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await page.goto(`${server.baseUrl}/${slugs[1]}/`);
  await page.getByRole("heading", { name: "Keep reading for free" }).waitFor();
  await page.getByText("The canal trust opened its archive this week.").waitFor();
  const html = await page.content();
  assert.ok(!html.includes(REST(2)) && !html.includes("The inquiry resumes in spring."), "the rest is not in the page");
});
