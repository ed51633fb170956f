/**
 * The web app's host, standing in for the StaticSite (S3 bucket + CloudFront): serves the built
 * app (`packages/web/dist`) on a port of its own, answers unknown extension-less paths with
 * index.html (the app's routes, as CloudFront's error page does), lets browsers keep the hashed
 * `/assets/*` for a year and revalidate everything else, and serves `/config.json` built from
 * the local cloud's outputs (the Web stack deploys the same file into the bucket).
 */
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { closeServer, listen, urlHost } from "../http-server.js";
import type { WebConfig } from "./web-config.js";

export const buildCommand = "npm run build -w @haul/web";

export interface StaticSiteOptions {
  /** The build output: packages/web/dist. */
  readonly distDir: string;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /**
   * The app's run-time configuration, asked for on every request of /config.json: the gateways
   * start after the site (their CORS needs its origins), so it is unknown at first (undefined: 503).
   */
  readonly config: () => WebConfig | undefined;
}

export interface RunningStaticSite {
  /** e.g. http://127.0.0.1:4010 */
  readonly url: string;
  /** The exact origins the APIs allow: the site under both names a browser may use for it. */
  readonly origins: readonly string[];
  /** Whether the app was built when the site started (it checks again on every request). */
  readonly built: boolean;
  stop(): Promise<void>;
}

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/** Vite names everything under /assets by its content hash: a changed file is a new name. */
const immutable = "public, max-age=31536000, immutable";
/** index.html and config.json name the current build and stage: always revalidated. */
const revalidate = "no-cache";

export function siteOrigins(port: number): string[] {
  return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
}

export async function startStaticSite(options: StaticSiteOptions): Promise<RunningStaticSite> {
  const root = path.resolve(options.distDir);
  const indexFile = path.join(root, "index.html");

  const server = createServer((request, response) => {
    const send = (status: number, type: string, cacheControl: string, body: Buffer | string) => {
      response.writeHead(status, {
        "content-type": type,
        "cache-control": cacheControl,
        "x-content-type-options": "nosniff",
        "content-length": Buffer.byteLength(body),
      });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    const answer = async () => {
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.setHeader("allow", "GET, HEAD");
        return send(405, contentTypes[".txt"]!, revalidate, "Method not allowed\n");
      }
      const pathname = requestPath(request.url);
      if (pathname === undefined) return send(400, contentTypes[".txt"]!, revalidate, "Bad path\n");

      if (pathname === "/config.json") {
        const config = options.config();
        if (!config) return send(503, contentTypes[".txt"]!, revalidate, "The local cloud is still starting; reload in a moment.\n");
        return send(200, contentTypes[".json"]!, revalidate, JSON.stringify(config));
      }

      if (!(await isFile(indexFile))) return send(503, contentTypes[".html"]!, revalidate, notBuiltPage);

      const file = path.join(root, pathname);
      if (file.startsWith(root + path.sep) && (await isFile(file))) {
        const cacheControl = pathname.startsWith("/assets/") ? immutable : revalidate;
        return send(200, contentTypeOf(file), cacheControl, await readFile(file));
      }
      // A path with an extension names a file, which is missing; anything else is one of the app's routes.
      if (path.posix.extname(pathname) !== "") return send(404, contentTypes[".txt"]!, revalidate, "Not found\n");
      return send(200, contentTypes[".html"]!, revalidate, await readFile(indexFile));
    };
    answer().catch((error: unknown) => {
      if (!response.headersSent) send(500, contentTypes[".txt"]!, revalidate, `${error instanceof Error ? error.message : String(error)}\n`);
      else response.destroy();
    });
  });

  const port = await listen(server, options.port, options.host);
  return {
    url: `http://${urlHost(options.host, port)}`,
    origins: siteOrigins(port),
    built: await isFile(indexFile),
    stop: () => closeServer(server),
  };
}

const notBuiltPage = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Haul: the web app is not built</title></head>
  <body>
    <h1>The web app is not built</h1>
    <p>Build it with <code>${buildCommand}</code> and reload this page (<code>npm start</code> builds it when its sources changed).</p>
  </body>
</html>
`;

/** The decoded, normalized path of a request URL; undefined when it does not decode. */
function requestPath(url: string | undefined): string | undefined {
  try {
    // posix.normalize resolves "/../" segments, so the path cannot climb out of the root.
    return path.posix.normalize(decodeURIComponent(new URL(url ?? "/", "http://site").pathname));
  } catch {
    return undefined;
  }
}

function contentTypeOf(file: string): string {
  return contentTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream";
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
