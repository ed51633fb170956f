/**
 * The web app's weight and its time to the first map, in Debian's chromium:
 *
 *   npx tsx scripts/bench/web.ts [--runs 5] [--outputs .haul/outputs.json]
 *
 * Sizes are of the build in packages/web/dist (bash scripts/build-web.sh makes it), gzipped here at
 * zlib's default level, as a CDN would serve them:
 * - the first load: what a fresh browser fetches from the site to show the first page a customer sees
 *   after the demo sign-in (index.html, the entry JS and CSS, that page's chunks), recorded from the
 *   browser's own requests; the base map's geometry (countries-*) is lazy and reported apart;
 * - every chunk of the build.
 * The time to the first map render: a signed-in operator opens the fleet page (a map) in a fresh
 * browser context (cold cache), and the page's `haul:first-map-render` mark (set when the base map is
 * drawn) is read relative to navigation start; `--runs` times, each printed, then the range.
 * It uses the running local cloud of `--outputs` when its site answers, else starts one of its own
 * (free ports, quiet) and stops it at the end. Target: the first load under 500 KB gzip.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { closePools } from "@haul/core/db/pools";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { webDistDir } from "@haul/local/config";
import { readOutputs } from "@haul/local/outputs";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "5" }, outputs: { type: "string" } } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive whole number");
const firstLoadTargetBytes = 500 * 1024;
const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const isBaseMapGeometry = (file: string) => /^countries-/.test(path.basename(file));

/** What the in-page functions use of the browser's globals (this script is checked without the DOM lib). */
interface PageStorage {
  readonly sessionStorage: { setItem(key: string, value: string): void };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const gzipBytes = (file: string) => gzipSync(readFileSync(file)).length;

/** The site of a running local cloud, or one started here (with what stops it). */
async function site(): Promise<{ webUrl: string; stop(): Promise<void> }> {
  const outputsFile = path.resolve(args.outputs ?? process.env.HAUL_OUTPUTS_FILE ?? ".haul/outputs.json");
  const running = await readOutputs(outputsFile).catch(() => undefined);
  if (running?.WebUrl && (await fetch(new URL("/config.json", running.WebUrl)).then((reply) => reply.ok, () => false))) {
    console.log(`Using the running local cloud: ${running.WebUrl}`);
    return { webUrl: running.WebUrl, stop: async () => undefined };
  }
  // Node 20 is the documented local runtime; the SDK's notice about 2027 only buries the figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { startLocalCloud } = await import("@haul/local/main");
  const haulDir = await mkdtemp(path.join(tmpdir(), "haul-bench-web-"));
  const freePorts = { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 };
  const cloud = await startLocalCloud({ haulDir, ports: freePorts, quiet: true });
  console.log(`Started a local cloud of its own: ${cloud.outputs.WebUrl}`);
  return {
    webUrl: cloud.outputs.WebUrl!,
    async stop() {
      await cloud.stop();
      await rm(haulDir, { recursive: true, force: true });
    },
  };
}

/** Signs in through the demo sign-in page as `name`; the site files the context fetched so far, in order. */
async function signIn(context: BrowserContext, webUrl: string, name: string, landing: string): Promise<string[]> {
  const page = await context.newPage();
  const fetched: string[] = [];
  page.on("requestfinished", (request) => {
    const url = new URL(request.url());
    if (url.origin === new URL(webUrl).origin && url.pathname !== "/config.json") fetched.push(url.pathname);
  });
  await page.goto(webUrl);
  await page.getByRole("button", { name: new RegExp(`^${name}\\b`) }).click();
  await page.getByRole("heading", { level: 1, name: landing }).waitFor({ timeout: 30_000 });
  await page.waitForLoadState("networkidle");
  return fetched;
}

function printSizes(): void {
  const assets = path.join(webDistDir, "assets");
  const chunks = readdirSync(assets)
    .filter((file) => /\.(js|css)$/.test(file))
    .map((file) => ({ file, raw: statSync(path.join(assets, file)).size, gzip: gzipBytes(path.join(assets, file)) }))
    .sort((a, b) => b.gzip - a.gzip);
  console.log("\nEvery chunk (raw -> gzip):");
  for (const chunk of chunks) console.log(`  ${chunk.file.padEnd(44)} ${kb(chunk.raw).padStart(10)} -> ${kb(chunk.gzip).padStart(9)}${isBaseMapGeometry(chunk.file) ? "  (base-map geometry, lazy)" : ""}`);
}

async function firstLoad(browser: Browser, webUrl: string): Promise<void> {
  const customer = demoPeopleWithRole("customer")[0]!;
  const context = await browser.newContext();
  try {
    const fetched = await signIn(context, webUrl, customer.name, "Reserve a truck");
    const files = [...new Set(fetched)].map((pathname) => (pathname === "/" || !pathname.startsWith("/assets/") ? "index.html" : pathname.slice(1)));
    const counted = [...new Set(files)].filter((file) => !isBaseMapGeometry(file));
    const lazy = [...new Set(files)].filter(isBaseMapGeometry);
    let total = 0;
    console.log(`First load: the demo sign-in, then "Reserve a truck" as ${customer.name} (gzip):`);
    for (const file of counted) {
      const bytes = gzipBytes(path.join(webDistDir, file));
      total += bytes;
      console.log(`  ${file.padEnd(44)} ${kb(bytes).padStart(9)}`);
    }
    const verdict = total < firstLoadTargetBytes ? "under" : "OVER";
    console.log(`  ${"total".padEnd(44)} ${kb(total).padStart(9)}  (${verdict} the ${kb(firstLoadTargetBytes)} target)`);
    const geometry = readdirSync(path.join(webDistDir, "assets")).filter((file) => isBaseMapGeometry(file) && file.endsWith(".js"));
    console.log(`Base-map geometry, loaded lazily with the first map (not counted above${lazy.length > 0 ? `; this page fetched ${lazy.join(", ")}` : ""}):`);
    for (const file of geometry) console.log(`  ${file.padEnd(44)} ${kb(gzipBytes(path.join(webDistDir, "assets", file))).padStart(9)}`);
  } finally {
    await context.close();
  }
}

async function firstMapRender(browser: Browser, webUrl: string): Promise<void> {
  const operator = demoPeopleWithRole("operator")[0]!;
  // The session the sign-in leaves in sessionStorage, given to each cold context before the app runs.
  const signedIn = await browser.newContext();
  await signIn(signedIn, webUrl, operator.name, "Fleet");
  const session = await signedIn.pages()[0]!.evaluate(() => Object.entries((globalThis as unknown as { sessionStorage: Record<string, string> }).sessionStorage));
  await signedIn.close();

  const times: number[] = [];
  console.log(`\nTime to the first map render (the fleet page, signed in as ${operator.name}, cold cache):`);
  for (let run = 1; run <= runs; run++) {
    const context = await browser.newContext();
    try {
      await context.addInitScript((entries) => {
        for (const [key, value] of entries) (globalThis as unknown as PageStorage).sessionStorage.setItem(key, value);
      }, session);
      const page = await context.newPage();
      await page.goto(new URL("/ops/fleet", webUrl).toString());
      await page.waitForFunction(() => performance.getEntriesByName("haul:first-map-render").length > 0, undefined, { timeout: 30_000 });
      const ms = await page.evaluate(() => performance.getEntriesByName("haul:first-map-render")[0]!.startTime);
      times.push(ms);
      console.log(`  run ${run}: ${ms.toFixed(0)} ms`);
    } finally {
      await context.close();
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`  range ${sorted[0]!.toFixed(0)}-${sorted.at(-1)!.toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`);
}

const target = await site();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
try {
  await firstLoad(browser, target.webUrl);
  printSizes();
  await firstMapRender(browser, target.webUrl);
} finally {
  await browser.close();
  await target.stop();
  await closePools();
}
