/**
 * An HTTP proxy in front of the real OpenSearch node that forwards everything and records each
 * request's method and path, so a test can count the searches a piece of code makes.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface SearchRequestCounter {
  readonly url: string;
  /** `METHOD /path` of every request forwarded, in order. */
  readonly requests: string[];
  /** The requests that were searches (`/_search`, `/_msearch`). */
  searches(): string[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startSearchRequestCounter(target: string): Promise<SearchRequestCounter> {
  const upstream = new URL(target);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${(req.url ?? "").split("?")[0]}`);
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => req.socket.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    searches: () => requests.filter((line) => /\/_m?search$/.test(line)),
    reset: () => {
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
