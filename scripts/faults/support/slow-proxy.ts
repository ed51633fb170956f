/** An HTTP proxy that holds each request back before forwarding it: a slow network or server. */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface SlowProxy {
  readonly endpoint: string;
  /** Requests held back so far. */
  readonly delayed: number;
  stop(): Promise<void>;
}

/** `delayMs(n)` is how long the n-th request (1-based) waits; 0 forwards it at once. */
export async function startSlowProxy(target: string, delayMs: (requestNumber: number) => number): Promise<SlowProxy> {
  const upstream = new URL(target);
  let count = 0;
  let delayed = 0;
  const server = createServer((req, res) => {
    const wait = delayMs(++count);
    if (wait > 0) delayed++;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () =>
      setTimeout(() => {
        const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } }, (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        });
        forwarded.on("error", () => res.destroy());
        forwarded.end(Buffer.concat(chunks));
      }, wait),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get delayed() {
      return delayed;
    },
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
