import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCommand, startStaticSite, type RunningStaticSite } from "../src/web/static-site.js";
import { webConfigFromOutputs, type WebConfig } from "../src/web/web-config.js";
import { send } from "./fixtures/http-client.js";

const outputs = {
  ReservationApiUrl: "http://127.0.0.1:4000",
  QueryApiUrl: "http://127.0.0.1:4001",
  IssuerUrl: "http://127.0.0.1:4002",
  LiveApiUrl: "ws://127.0.0.1:4005/local",
  LiveApiCallbackUrl: "http://127.0.0.1:4005/local",
  NotificationApiUrl: "http://127.0.0.1:4006",
  TrackingApiUrl: "http://127.0.0.1:4007",
  ObservabilityApiUrl: "http://127.0.0.1:4009",
};

const indexHtml = "<!doctype html><title>Haul</title><div id=root></div>";
let root: string;
let distDir: string;
let config: WebConfig | undefined;
let site: RunningStaticSite;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "haul-static-site-"));
  distDir = path.join(root, "dist");
  await mkdir(path.join(distDir, "assets"), { recursive: true });
  await writeFile(path.join(distDir, "index.html"), indexHtml);
  await writeFile(path.join(distDir, "assets", "index-Bx3k9.js"), "console.log('app')");
  await writeFile(path.join(distDir, "assets", "index-Q1w2e.css"), "body{}");
  await writeFile(path.join(distDir, "assets", "marker-9f8e.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  await writeFile(path.join(distDir, "assets", "index-Bx3k9.js.map"), "{}");
  await writeFile(path.join(root, "secret.txt"), "outside the site");
  site = await startStaticSite({ distDir, host: "127.0.0.1", port: 0, config: () => config });
});

afterAll(async () => {
  await site?.stop();
  await rm(root, { recursive: true, force: true });
});

describe("the built app", () => {
  it.each([
    ["/", "text/html; charset=utf-8"],
    ["/index.html", "text/html; charset=utf-8"],
    ["/assets/index-Bx3k9.js", "text/javascript; charset=utf-8"],
    ["/assets/index-Q1w2e.css", "text/css; charset=utf-8"],
    ["/assets/marker-9f8e.svg", "image/svg+xml"],
    ["/assets/index-Bx3k9.js.map", "application/json; charset=utf-8"],
  ])("serves %s as %s", async (pathname, type) => {
    const response = await send(`${site.url}${pathname}`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe(type);
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("lets browsers keep hashed assets and revalidate index.html", async () => {
    expect((await send(`${site.url}/assets/index-Bx3k9.js`)).headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await send(`${site.url}/`)).headers["cache-control"]).toBe("no-cache");
    expect((await send(`${site.url}/customer/reservations/123`)).headers["cache-control"]).toBe("no-cache");
  });

  it("answers the app's routes (paths without an extension) with index.html", async () => {
    for (const route of ["/customer/reserve", "/operator/executions/arn%3Aaws%3Astates", "/driver/"]) {
      const response = await send(`${site.url}${route}`);
      expect(response.status).toBe(200);
      expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(response.body.toString()).toBe(indexHtml);
    }
  });

  it("answers 404 for a missing file, not the app", async () => {
    const response = await send(`${site.url}/assets/gone-123.js`);
    expect(response.status).toBe(404);
    expect(response.body.toString()).not.toContain("<title>Haul");
  });

  it("serves nothing from outside its folder", async () => {
    for (const escape of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2F..%2Fsecret.txt"]) {
      const response = await send(`${site.url}${escape}`);
      expect(response.body.toString()).not.toContain("outside the site");
    }
  });

  it("takes only GET and HEAD", async () => {
    expect((await send(`${site.url}/`, { method: "POST", body: "x" })).status).toBe(405);
    const head = await send(`${site.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("allows exactly its own origins, under both names", () => {
    const port = new URL(site.url).port;
    expect(site.origins).toEqual([`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
    expect(site.built).toBe(true);
  });
});

describe("/config.json", () => {
  it("answers 503 until the cloud's outputs are known", async () => {
    config = undefined;
    const response = await send(`${site.url}/config.json`);
    expect(response.status).toBe(503);
    expect(response.headers["cache-control"]).toBe("no-cache");
  });

  it("carries the local stage's APIs and sign-in in the app's shape, never cached", async () => {
    config = webConfigFromOutputs(outputs);
    const response = await send(`${site.url}/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.headers["cache-control"]).toBe("no-cache");
    expect(response.json()).toEqual({
      stage: "local",
      apis: {
        reservation: "http://127.0.0.1:4000",
        query: "http://127.0.0.1:4001",
        notification: "http://127.0.0.1:4006",
        tracking: "http://127.0.0.1:4007",
        observability: "http://127.0.0.1:4009",
        live: "ws://127.0.0.1:4005/local",
      },
      auth: { kind: "local", issuer: "http://127.0.0.1:4002" },
      map: {},
    });
  });

  it("names a missing output rather than writing a config without it", () => {
    const { TrackingApiUrl: _missing, ...rest } = outputs;
    expect(() => webConfigFromOutputs(rest)).toThrow(/TrackingApiUrl/);
  });
});

describe("without a build", () => {
  it("says how to build the app, on every page, and still serves config.json", async () => {
    const empty = await startStaticSite({ distDir: path.join(root, "no-dist"), host: "127.0.0.1", port: 0, config: () => webConfigFromOutputs(outputs) });
    try {
      expect(empty.built).toBe(false);
      for (const pathname of ["/", "/customer/reserve", "/assets/index-Bx3k9.js"]) {
        const response = await send(`${empty.url}${pathname}`);
        expect(response.status).toBe(503);
        expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
        expect(response.body.toString()).toContain(buildCommand);
      }
      expect((await send(`${empty.url}/config.json`)).status).toBe(200);
    } finally {
      await empty.stop();
    }
  });
});
