// A person's path through Newsdesk, in a real browser (playwright-core driving Debian's chromium):
// create the owner account from the one-time link, write a post in the editor with a feature image, publish it,
// and read it on the public site with "Edit post"; axe-core finds no accessibility violations on the home page,
// an article page or the editor.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { shouldSkip, startServer, launch, noAxeViolations, canNarrate } from "./support.mjs";

const skip = shouldSkip();
let server, browser, dataDir, baseUrl, setupLink;

before(async () => {
  if (skip) return;
  server = await startServer();
  ({ baseUrl, setupLink, dataDir } = server);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

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

  // The editor (rich text by default), in its Markdown mode with live preview.
  await page.getByRole("link", { name: "New post" }).first().click();
  await page.waitForURL(/\/admin\/posts\/new$/);
  await noAxeViolations(page, "the editor");
  await page.getByLabel("Headline").fill("Lifeboat crew rescues three from the estuary");
  await page.getByLabel("Dek / excerpt").fill("The volunteers launched twice in one night.");
  // Markdown mode, for those who want it: the same story, typed as Markdown, with the server's live preview.
  await page.getByRole("button", { name: "Switch to Markdown" }).click();
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
  // The worker narrates the new article; the player appears, labelled before anyone presses play.
  if (!canNarrate()) return;
  let player = 0;
  for (let i = 0; i < 30 && player === 0; i++) {
    await reader.waitForTimeout(1000);
    await reader.reload();
    player = await reader.locator("section.audio-edition audio[controls]").count();
  }
  assert.equal(player, 1, "an audio player appeared");
  assert.ok(await reader.getByText("This audio is created with AI assistance.").isVisible());
  assert.ok((await reader.locator("section.audio-edition audio").evaluate((a) => a.querySelector("source").src)).endsWith(".mp3"));
  await noAxeViolations(reader, "an article page with its audio player");
  await reader.goto(`${baseUrl}/`);
  await reader.getByRole("heading", { name: "Lifeboat crew rescues three from the estuary" }).waitFor();
  await noAxeViolations(reader, "the home page");
  await context.close();
});
