// The web app's tsconfig checks these tests, and they pull the local cloud in: its module declarations too.
/// <reference path="../../../local/src/dynamodb/dynalite.d.ts" />
/// <reference path="../../../local/src/kinesis/kinesalite.d.ts" />
/**
 * What the browser tests share: one local cloud per file (free ports, a temp data dir, the built app
 * in packages/web/dist), Debian's chromium driven by playwright-core, the demo sign-in, axe-core run
 * inside the page, screenshots under `.haul/screenshots/`, and on failure a screenshot plus the
 * page's console errors under `.haul/screenshots/failures/`, named in the assertion message.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { demoPeople, type DemoPerson } from "@haul/core/identity/demo-people";
import { applyIndexFamilies } from "@haul/core/search/index-families";
import { closeSearchClient, getSearchClient } from "@haul/core/search/search-client";
import { resetAwsClients } from "@haul/functions/shared/aws-clients";
import { migrateTestDatabase, repoRoot } from "../../../core/test/support/database.js";
import { webDistDir } from "../../../local/src/config.js";
import { startLocalCloud, type LocalCloud } from "../../../local/src/main.js";

export const screenshotsDir = path.join(repoRoot, ".haul", "screenshots");
export const failuresDir = path.join(screenshotsDir, "failures");
/** The flags docs/toolchain.md names for Debian's chromium in a container. */
const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const chromiumPath = "/usr/bin/chromium";
export const viewport = { width: 1280, height: 800 };

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface BrowserWorld {
  readonly cloud: LocalCloud;
  readonly browser: Browser;
  readonly webUrl: string;
  stop(): Promise<void>;
}

/** Starts the local cloud (quiet, free ports, fast push and Firehose) and chromium. */
export async function startBrowserWorld(label: string): Promise<BrowserWorld> {
  if (!existsSync(path.join(webDistDir, "index.html"))) {
    throw new Error(`No web build in ${webDistDir}: run bash scripts/build-web.sh (npm test does)`);
  }
  const savedEnv = { ...process.env };
  await migrateTestDatabase();
  // The refiner writes into the day's log index, made from the family's template (test- prefix).
  await applyIndexFamilies(getSearchClient(), {
    directory: path.join(repoRoot, "search", "index-families"),
    prefix: process.env.HAUL_OPENSEARCH_INDEX_PREFIX ?? "test-",
    log: () => undefined,
  });
  const haulDir = await mkdtemp(path.join(tmpdir(), `haul-browser-${label}-`));
  const freePorts = { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 };
  const cloud = await startLocalCloud({
    haulDir,
    ports: freePorts,
    quiet: true,
    fresh: true,
    schedulePeriodSeconds: 2,
    firehose: { bufferingIntervalSeconds: 0.5, pollIntervalMs: 100 },
    stepFunctions: { retryIntervalScale: 0.001 },
  });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  return {
    cloud,
    browser,
    webUrl: cloud.outputs.WebUrl!,
    async stop() {
      await browser.close();
      await cloud.stop();
      resetAwsClients();
      process.env = savedEnv;
      await closeSearchClient();
      await closePools();
      await closeRedisClient();
      await rm(haulDir, { recursive: true, force: true });
    },
  };
}

export function demoPerson(role: DemoPerson["role"], index = 0): DemoPerson {
  const person = demoPeople.filter((candidate) => candidate.role === role)[index];
  if (!person) throw new Error(`No seeded ${role} #${index}`);
  return person;
}

export function personWithId(id: string | null | undefined): DemoPerson {
  const person = demoPeople.find((candidate) => candidate.id === id);
  if (!person) throw new Error(`${id} is not a seeded person's id`);
  return person;
}

/** A page of its own (own storage, so its own session) that keeps its console errors for failure reports. */
export interface TestPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly consoleErrors: string[];
  close(): Promise<void>;
}

export async function openPage(world: BrowserWorld): Promise<TestPage> {
  const context = await world.browser.newContext({ viewport, locale: "en-GB", timezoneId: "Europe/Berlin" });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  return { page, context, consoleErrors, close: () => context.close() };
}

/** Signs in through the demo sign-in page, clicking the person: the real POST /demo/tokens. */
export async function signInAs(world: BrowserWorld, testPage: TestPage, person: DemoPerson): Promise<void> {
  const { page } = testPage;
  await step(testPage, `sign-in-as-${person.role}`, async () => {
    await page.goto(world.webUrl);
    await page.getByRole("button", { name: new RegExp(`^${person.name}\\b`) }).click();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  });
}

/** An id token for a seeded person from the local identity server, for calls a test makes itself. */
export async function tokenFor(world: BrowserWorld, person: DemoPerson): Promise<string> {
  const response = await fetch(new URL("/demo/tokens", world.cloud.outputs.IssuerUrl!), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: person.id }),
  });
  if (!response.ok) throw new Error(`POST /demo/tokens answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/** axe-core run inside the page; the serious and critical violations, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 3).map((node) => node.target.map(String).join(" ")),
    }));
  });
  return violations
    .filter((violation: AxeViolation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation: AxeViolation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.targets.join(", ")}`);
}

/** Keeps the page as `.haul/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Runs `step`; when it throws, keeps a screenshot and the console errors under
 * `.haul/screenshots/failures/<name>.*` and rethrows with those paths in the message.
 */
export async function step<T>(testPage: TestPage, name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    await mkdir(failuresDir, { recursive: true });
    const base = path.join(failuresDir, name);
    await testPage.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => undefined);
    await writeFile(`${base}.console.txt`, `${testPage.page.url()}\n${testPage.consoleErrors.join("\n")}\n`);
    const failure = error instanceof Error ? error : new Error(String(error));
    failure.message = `${failure.message}\n(kept ${base}.png and ${base}.console.txt)`;
    throw failure;
  }
}

/** Checks the page with axe and keeps its screenshot: the two things every page visit ends with. */
export async function checkPage(testPage: TestPage, name: string): Promise<void> {
  await step(testPage, `${name}-a11y`, async () => {
    const violations = await seriousViolations(testPage.page);
    if (violations.length > 0) throw new Error(`axe-core: serious or critical violations on ${name}:\n${violations.join("\n")}`);
  });
  await screenshot(testPage.page, name);
}
