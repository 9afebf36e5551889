// A person's path through Newsdesk, in a real browser (playwright-core driving Debian's chromium):
// create the owner account from the one-time link, write a post in the editor with a feature image, publish it,
// and read it on the public site with "Edit post"; axe-core finds no accessibility violations on the home page,
// an article page or the editor.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const BINARY = resolve(process.env.NEWSDESK_BIN || "../target/debug/newsdesk");
let server, browser, dataDir, baseUrl, setupLink;

function skipOrFail(what) {
  if (process.env.NEWSDESK_REQUIRE_ALL === "1") throw new Error(`${what} is missing and NEWSDESK_REQUIRE_ALL=1`);
  console.log(`SKIPPED: browser tests (${what} is missing)`);
  return true;
}

const missing = !existsSync(CHROMIUM) ? `chromium at ${CHROMIUM}` : !existsSync(BINARY) ? `the newsdesk binary at ${BINARY}` : null;
const skip = missing ? skipOrFail(missing) : false;

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), "nd-e2e-"));
  server = spawn(BINARY, ["serve", "--data", dataDir, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, NEWSDESK_DATABASE_URL: process.env.NEWSDESK_E2E_DATABASE_URL || "", NEWSDESK_LOG__LEVEL: "warn" },
  });
  let output = "";
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("server did not start:\n" + output)), 60000);
    server.stderr.on("data", (chunk) => {
      output += chunk;
      const url = output.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      const link = output.match(/(http:\/\/127\.0\.0\.1:\d+\/admin\/setup\/[0-9a-f]+)/);
      if (url && link) {
        baseUrl = url[1];
        setupLink = link[1];
        clearTimeout(timer);
        ok();
      }
    });
    server.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${output}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function noAxeViolations(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  assert.ok(results.passes.length > 10, `axe-core ran its rules on ${label}`);
  const summary = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(summary, [], `axe-core violations on ${label}`);
}

test("an editor signs up, writes, illustrates and publishes a post, and sees it live with Edit post", { skip }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();

  // Owner account from the one-time link printed by `serve`.
  await page.goto(setupLink);
  await page.getByLabel("Your name").fill("Rae Okonjo");
  await page.getByLabel("Email").fill("rae@ledger.example");
  await page.locator("#f-password").fill("a long and careful passphrase");
  await page.locator("#f-password_confirm").fill("a long and careful passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/admin\/posts$/);

  // The editor, with live preview.
  await page.getByRole("link", { name: "New post" }).first().click();
  await page.waitForURL(/\/admin\/posts\/new$/);
  await noAxeViolations(page, "the editor");
  await page.getByLabel("Headline").fill("Lifeboat crew rescues three from the estuary");
  await page.getByLabel("Dek / excerpt").fill("The volunteers launched twice in one night.");
  await page.getByLabel("Body (Markdown)").fill("The crew launched at **2:10 a.m.**\n\n## A second call\n\nThen again at dawn.");
  await page.locator("#preview h2", { hasText: "A second call" }).waitFor({ timeout: 10000 });
  await page.getByLabel("First author").selectOption({ label: "Priya Lindqvist" });
  await page.getByLabel("Author 2").selectOption({ label: "Ledger news desk (desk)" });
  await page.getByLabel("Tags").fill("News, Port");
  const mediaDir = join(dataDir, "media");
  const shard = readdirSync(mediaDir)[0];
  const sha = readdirSync(join(mediaDir, shard))[0];
  await page.getByLabel("Upload image").setInputFiles(join(mediaDir, shard, sha, "original.png"));
  await page.getByLabel("Alt text").fill("An orange lifeboat on grey water");
  await page.getByLabel("Caption").fill("The lifeboat returning at first light.");
  await page.getByLabel("Credit").fill("Photo: Tidewater Wire");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.waitForURL(/\/admin\/posts\/\d+\/edit\?done=published$/);
  await page.getByText("Published. It is live on the site.").waitFor();

  // The public page, as staff: "Edit post" is there, and so is everything the reader sees.
  await page.getByRole("link", { name: "View post" }).click();
  await page.waitForURL(/\/lifeboat-crew-rescues-three-from-the-estuary\/$/);
  await page.getByRole("link", { name: "Edit post" }).waitFor();
  assert.equal(await page.locator("h1.headline").textContent(), "Lifeboat crew rescues three from the estuary");
  assert.match(await page.locator(".byline").textContent(), /By Priya Lindqvist and the Ledger news desk/);
  assert.match(await page.locator("figure.feature figcaption").textContent(), /The lifeboat returning at first light\.\s+Photo: Tidewater Wire/);
  assert.ok((await page.locator("figure.feature img").evaluate((img) => img.naturalWidth)) > 0, "the feature image loads");

  // A reader sees the same article without "Edit post"; the skip link lands on the content.
  const reader = await (await browser.newContext()).newPage();
  await reader.goto(`${baseUrl}/lifeboat-crew-rescues-three-from-the-estuary/`);
  assert.equal(await reader.getByRole("link", { name: "Edit post" }).count(), 0);
  await reader.keyboard.press("Tab");
  await reader.keyboard.press("Enter");
  assert.equal(await reader.evaluate(() => document.activeElement.id), "content");
  await noAxeViolations(reader, "an article page");
  await reader.goto(`${baseUrl}/`);
  await reader.getByRole("heading", { name: "Lifeboat crew rescues three from the estuary" }).waitFor();
  await noAxeViolations(reader, "the home page");
  await context.close();
});
