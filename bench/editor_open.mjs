// Opens a story in the admin's rich-text editor in Debian's chromium (playwright-core from e2e/) and prints, as JSON,
// the milliseconds from navigation start until the editor holds the story, over several loads.
//   node bench/editor_open.mjs BASE_URL POST_ID SESSION_COOKIE [RUNS]
import { createRequire } from "node:module";
const require = createRequire(new URL("../e2e/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [base, id, session, runs = "7"] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
const context = await browser.newContext();
await context.addCookies([{ name: "nd_session", value: session, url: base }]);
const page = await context.newPage();
const times = [];
for (let i = 0; i < +runs; i++) {
  await page.goto(`${base}/admin/posts/${id}/edit`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.newsdeskEditor && window.newsdeskEditor.state.doc.childCount > 15);
  times.push(await page.evaluate(() => performance.now()));
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ runs: times.length, median_ms: times[Math.floor(times.length / 2)], min_ms: times[0], max_ms: times[times.length - 1] }));
