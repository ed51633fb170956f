/** Small helpers for the local services' Node HTTP servers. */
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Idle keep-alive connections outlive clients' idle timeouts, as behind AWS's endpoints. */
export const keepAliveMs = 65_000;

/** Listens and resolves with the port actually bound (useful with port 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  // Node's 5 s default closes idle sockets that a client may be sending on at that very moment
  // ("socket hang up"); clients' own idle timeouts are shorter than this.
  server.keepAliveTimeout = keepAliveMs;
  server.headersTimeout = keepAliveMs + 1_000;
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closes a server promptly: keep-alive connections from SDK clients would otherwise
 * hold `close()` open for seconds, and the local cloud must stop within a second or two.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * Closes a server after its requests in flight have answered (for at most `drainMs`), closing each
 * keep-alive connection as soon as it is idle. A store must not close under a request that is
 * still writing: dynalite throws "Database is closed" from the write's next step.
 */
export function drainAndCloseServer(server: Server, drainMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 20);
    const deadline = setTimeout(() => server.closeAllConnections(), drainMs);
    server.close((error) => {
      clearInterval(idleSweep);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/** `host:port` as it goes in a URL (IPv6 literals need brackets). */
export function urlHost(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A request body over the server's limit; the server answers 413. */
export class RequestTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`The request is larger than ${limitBytes} bytes`);
  }
}

/** The whole request body, or RequestTooLarge past `maxBytes` (the rest is drained, not kept). */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners("data");
        request.resume();
        reject(new RequestTooLarge(maxBytes));
      } else chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}
