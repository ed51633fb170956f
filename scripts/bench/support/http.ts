/**
 * A benchmark's HTTP client: plain node:http over one keep-alive agent (the client must cost little
 * next to the server), and an open-loop scheduler (arrivals at a fixed rate, whatever the replies do).
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpClient {
  /**
   * Sockets the server closed while idle in the pool fail with ECONNRESET on reuse: such a request is
   * sent once more (unless the client was created with `resendAfterReset: false`).
   */
  send(url: URL, method: string, headers: Record<string, string>, body?: string): Promise<HttpReply>;
  /** Requests sent once more after ECONNRESET so far. */
  readonly resentAfterReset: number;
  destroy(): void;
}

export interface HttpClientOptions {
  /** Sockets of the keep-alive agent (default 256). */
  readonly maxSockets?: number;
  /** Send a request once more when its pooled socket fails with ECONNRESET (default true); false: the error is thrown. */
  readonly resendAfterReset?: boolean;
}

export function createHttpClient({ maxSockets = 256, resendAfterReset = true }: HttpClientOptions = {}): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets });
  let resent = 0;
  const sendOnce = (url: URL, method: string, headers: Record<string, string>, body?: string) =>
    new Promise<HttpReply>((resolve, reject) => {
      const req = httpRequest(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return {
    async send(url, method, headers, body) {
      try {
        return await sendOnce(url, method, headers, body);
      } catch (error) {
        if (!resendAfterReset || (error as NodeJS.ErrnoException).code !== "ECONNRESET") throw error;
        resent++;
        return sendOnce(url, method, headers, body);
      }
    },
    get resentAfterReset() {
      return resent;
    },
    destroy: () => agent.destroy(),
  };
}

/** Milliseconds since the epoch, sub-millisecond. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * Open loop: calls `arrive(index)` for `rate * seconds` arrivals scheduled 1/rate apart from now;
 * an arrival whose time has come leaves at once, however the earlier ones fare. Resolves when every
 * arrival's promise has settled, with the start time and how far the client fell behind schedule.
 */
export async function offerAtFixedRate(rate: number, seconds: number, arrive: (index: number) => Promise<unknown>): Promise<{ startedAt: number; maxLagMs: number }> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const inFlight: Promise<unknown>[] = [];
  const startedAt = now();
  let maxLagMs = 0;
  let index = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const current = now();
      while (index < total && startedAt + index * interval <= current) {
        maxLagMs = Math.max(maxLagMs, current - (startedAt + index * interval));
        inFlight.push(arrive(index++));
      }
      if (index < total) setTimeout(tick, Math.max(0, Math.min(5, startedAt + index * interval - now())));
      else resolve();
    };
    tick();
  });
  await Promise.allSettled(inFlight);
  return { startedAt, maxLagMs };
}
