// A site with a right-to-left edition, in a real browser: an Arabic story and the Arabic edition's home page are
// laid out right to left (the header's title on the right, the text aligned to the right, the search box on the
// left), the English pages are not; screenshots of both are written to e2e/screenshots/ for a person to look at;
// axe-core finds nothing on the Arabic pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { shouldSkip, startServer, launch, noAxeViolations } from "./support.mjs";

const skip = shouldSkip();

/** Where a screenshot's ink lies across it: the mean x of its dark pixels, 0 (left edge) to 1 (right edge). */
async function inkAcross(browser, png) {
  const blank = await browser.newPage();
  try {
    return await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = "data:image/png;base64," + b64;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext("2d");
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0, n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (0.3 * d[i] + 0.59 * d[i + 1] + 0.11 * d[i + 2] < 100) { sum += (i / 4) % canvas.width; n++; }
      }
      return { x: n ? sum / n / canvas.width : 0.5, n };
    }, png.toString("base64"));
  } finally {
    await blank.close();
  }
}
let server, browser;

before(async () => {
  if (skip) return;
  server = await startServer({}, '[site]\ntitle = "The Port Alder Ledger"\ntimezone = "Europe/London"\nlanguage = "en-GB"\nlanguages = ["ar"]\n');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the Arabic edition is laid out right to left", { skip }, async () => {
  const token = server.createToken("editor");
  const r = await fetch(`${server.baseUrl}/api/v1/posts`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      title: "المجلس يؤجل التصويت على حاجز الميناء",
      slug: "barrier-vote-ar",
      body: "قرر مجلس الميناء تأجيل التصويت على الحاجز حتى يونيو بعد طلب دراسة جديدة.",
      authors: ["Ledger news desk"],
      language: "ar",
      translation_of: "dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records",
      status: "published",
    }),
  });
  assert.equal(r.status, 201, await r.text());
  mkdirSync("screenshots", { recursive: true });
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();

  const layout = async () => page.evaluate(() => {
    const box = (sel) => document.querySelector(sel).getBoundingClientRect();
    const header = box(".header-inner");
    return {
      dir: getComputedStyle(document.body).direction,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      titleRight: header.right - box(".site-title").right,
      titleLeft: box(".site-title").left - header.left,
      searchLeft: box(".site-search").left - header.left,
      searchRight: header.right - box(".site-search").right,
    };
  });

  await page.goto(`${server.baseUrl}/barrier-vote-ar/`);
  assert.equal(await page.getAttribute("html", "dir"), "rtl");
  assert.equal(await page.getAttribute("html", "lang"), "ar");
  const ar = await layout();
  assert.equal(ar.dir, "rtl");
  assert.ok(ar.overflow <= 0, `nothing pushes the page sideways (${ar.overflow} px too wide)`);
  assert.ok(ar.titleRight < 40 && ar.titleLeft > 300, `the site title starts on the right: ${JSON.stringify(ar)}`);
  assert.ok(ar.searchLeft < 40, `the search box sits on the left: ${JSON.stringify(ar)}`);
  const headline = await page.evaluate(() => {
    const h = document.querySelector(".headline");
    const range = document.createRange();
    range.setStart(h.firstChild, 0);
    range.setEnd(h.firstChild, 1);
    const first = range.getBoundingClientRect(), box = h.getBoundingClientRect();
    return { fromRight: box.right - first.right, fromLeft: first.left - box.left };
  });
  assert.ok(headline.fromRight < 10 && headline.fromLeft > 100, `the headline begins at the right: ${JSON.stringify(headline)}`);
  assert.match(await page.locator(".translations a").first().textContent(), /English/);
  await page.screenshot({ path: "screenshots/article-ar.png", fullPage: false });
  // The screenshot compared with the same page laid out left to right: the headline's ink sits on the right in one
  // and on the left in the other.
  const header = page.locator(".article-header");
  const rtlShot = await header.screenshot({ path: "screenshots/article-header-ar.png" });
  await page.evaluate(() => { document.documentElement.dir = "ltr"; });
  const ltrShot = await header.screenshot({ path: "screenshots/article-header-forced-ltr.png" });
  await page.evaluate(() => { document.documentElement.dir = "rtl"; });
  const [rtlInk, ltrInk] = [await inkAcross(browser, rtlShot), await inkAcross(browser, ltrShot)];
  assert.ok(rtlInk.n > 500 && ltrInk.n > 500, `there is text to compare: ${JSON.stringify([rtlInk, ltrInk])}`);
  assert.ok(!rtlShot.equals(ltrShot), "the two layouts differ");
  assert.ok(rtlInk.x > 0.55 && ltrInk.x < 0.45, `ink right of centre when right to left: ${JSON.stringify([rtlInk, ltrInk])}`);
  await noAxeViolations(page, "an Arabic article page");

  await page.goto(`${server.baseUrl}/ar/`);
  assert.equal((await layout()).dir, "rtl");
  await page.screenshot({ path: "screenshots/home-ar.png" });
  await noAxeViolations(page, "the Arabic edition's home page");

  await page.goto(`${server.baseUrl}/`);
  const en = await layout();
  assert.equal(en.dir, "ltr");
  assert.ok(en.titleLeft < 40 && en.searchRight < 40, `the English header runs left to right: ${JSON.stringify(en)}`);
  await page.screenshot({ path: "screenshots/home-en.png" });
});
