// Shared set-up for the browser tests: a real `newsdesk serve` on a fresh data directory (demo content, SQLite),
// Debian's chromium through playwright-core, and axe-core checks.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const BINARY = resolve(process.env.NEWSDESK_BIN || "../target/debug/newsdesk");

/** Whether to skip (saying so loudly); with NEWSDESK_REQUIRE_ALL=1 a missing part fails instead. */
export function shouldSkip() {
  const missing = !existsSync(CHROMIUM) ? `chromium at ${CHROMIUM}` : !existsSync(BINARY) ? `the newsdesk binary at ${BINARY}` : null;
  if (!missing) return false;
  if (process.env.NEWSDESK_REQUIRE_ALL === "1") throw new Error(`${missing} is missing and NEWSDESK_REQUIRE_ALL=1`);
  console.log(`SKIPPED: browser tests (${missing} is missing)`);
  return true;
}

/**
 * Starts the server (`env` adds or overrides settings; `config`, when given, is the data directory's newsdesk.toml,
 * written before the first start); resolves to { baseUrl, setupLink, dataDir, stop() }.
 */
export async function startServer(env = {}, config = null) {
  const dataDir = mkdtempSync(join(tmpdir(), "nd-e2e-"));
  if (config) writeFileSync(join(dataDir, "newsdesk.toml"), config);
  const server = spawn(BINARY, ["serve", "--data", dataDir, "--listen", "127.0.0.1:0"], {
    // espeak-ng narrates the demo quickly; the Piper engine has its own integration test.
    env: { ...process.env, NEWSDESK_DATABASE_URL: "", NEWSDESK_LOG__LEVEL: "warn", NEWSDESK_NARRATION__ENGINE: "espeak-ng", ...env },
  });
  let output = "";
  const { baseUrl, setupLink } = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("server did not start:\n" + output)), 60000);
    server.stderr.on("data", (chunk) => {
      output += chunk;
      const url = output.match(/at (http:\/\/127\.0\.0\.1:\d+)\//);
      const link = output.match(/(http:\/\/127\.0\.0\.1:\d+\/admin\/setup\/[0-9a-f]+)/);
      if (url && link) {
        clearTimeout(timer);
        ok({ baseUrl: url[1], setupLink: link[1] });
      }
    });
    server.on("exit", (code) => fail(new Error(`server exited with ${code}:\n${output}`)));
  });
  return {
    baseUrl,
    setupLink,
    dataDir,
    /** Adds a staff account through the real CLI. */
    addStaff(email, role, password) {
      const r = spawnSync(BINARY, ["user", "add", "--data", dataDir, "--email", email, "--name", email.split("@")[0], "--role", role, "--password-stdin"], { input: password + "\n" });
      assert.equal(r.status, 0, String(r.stderr));
    },
    /** Creates a Content API key (read-only, Ghost-compatible) through the real CLI and returns it. */
    createContentKey(name = "front-end") {
      const r = spawnSync(BINARY, ["token", "create", "--data", dataDir, "--name", name, "--kind", "content"]);
      assert.equal(r.status, 0, String(r.stderr));
      return String(r.stdout).trim();
    },
    /** Creates an API token through the real CLI and returns it. */
    createToken(role) {
      const r = spawnSync(BINARY, ["token", "create", "--data", dataDir, "--name", `e2e ${role}`, "--role", role]);
      assert.equal(r.status, 0, String(r.stderr));
      return String(r.stdout).trim();
    },
    stop() {
      server.kill("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Whether narration can run here (espeak-ng and ffmpeg); says SKIPPED, or fails under NEWSDESK_REQUIRE_ALL=1. */
export function canNarrate() {
  const ok = ["espeak-ng", "ffmpeg"].every((cmd) => spawnSync(cmd, [cmd === "ffmpeg" ? "-version" : "--version"]).status === 0);
  if (!ok && process.env.NEWSDESK_REQUIRE_ALL === "1") throw new Error("espeak-ng and ffmpeg are required and NEWSDESK_REQUIRE_ALL=1");
  if (!ok) console.log("SKIPPED: the audio player check (espeak-ng or ffmpeg is missing)");
  return ok;
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

export async function noAxeViolations(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  assert.ok(results.passes.length > 10, `axe-core ran its rules on ${label}`);
  const summary = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(summary, [], `axe-core violations on ${label}`);
}

/** How many messages the outbox transport has written in `dataDir` so far. */
export function outboxCount(dataDir) {
  try {
    return readdirSync(join(dataDir, "outbox")).filter((f) => f.endsWith(".eml")).length;
  } catch {
    return 0;
  }
}

/** The first match of `pattern` in an outbox message written after the first `since` ones (waits up to 20 s);
 * quoted-printable soft breaks and escapes are undone first. */
export async function mailMatching(dataDir, since, pattern, what = "the mail") {
  const dir = join(dataDir, "outbox");
  for (let i = 0; i < 100; i++) {
    let files = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".eml")).sort();
    } catch {}
    for (const f of files.slice(since)) {
      const text = readFileSync(join(dir, f), "utf8")
        .replace(/=\r?\n/g, "")
        .replace(/(=[0-9A-F]{2})+/g, (m) => Buffer.from(m.replace(/=/g, ""), "hex").toString("utf8"));
      const m = text.match(pattern);
      if (m) return m[0];
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`${what} did not arrive`);
}

/** The first member sign-in link in an outbox message written after the first `since` ones (waits up to 20 s). */
export function signInLink(dataDir, since) {
  return mailMatching(dataDir, since, /https?:\/\/[^\s]+\/members\/signin\/[0-9a-f]{64}/, "a sign-in mail");
}
