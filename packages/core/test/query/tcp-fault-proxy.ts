/**
 * A TCP proxy in front of a real server (the shared test replica), so a test can cut it without
 * stopping it. (The Kinesis fault proxy in packages/functions/test/tracking works on HTTP requests;
 * this one works on connections, which is what a database outage looks like.)
 *
 * - `forward`: bytes pass both ways;
 * - `refuse`: every open connection is reset and every new one reset at once (a crashed server);
 * - `blackhole`: open connections stop passing bytes and new ones are accepted but never answered
 *   (a network partition: the client waits for its own timeouts).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

export type ProxyMode = "forward" | "refuse" | "blackhole";

export interface TcpFaultProxy {
  readonly port: number;
  /** Connections accepted since the start. */
  readonly accepted: () => number;
  setMode(mode: ProxyMode): void;
  stop(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  upstream?: Socket;
  flowing: boolean;
}

function flow(pair: Pair, on: boolean): void {
  if (!pair.upstream || pair.flowing === on) return;
  pair.flowing = on;
  if (on) {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  } else {
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
  }
}

export async function startTcpFaultProxy(target: { host: string; port: number }): Promise<TcpFaultProxy> {
  let mode: ProxyMode = "forward";
  let accepted = 0;
  const pairs = new Set<Pair>();

  const server: Server = createServer((client) => {
    accepted += 1;
    client.on("error", () => undefined);
    if (mode === "refuse") return void client.resetAndDestroy();
    const pair: Pair = { client, flowing: false };
    pairs.add(pair);
    client.on("close", () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === "blackhole") return;
    const upstream = connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
    flow(pair, true);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    setMode(next) {
      mode = next;
      for (const pair of pairs) {
        if (next === "refuse") {
          pair.upstream?.destroy();
          pair.client.resetAndDestroy();
        } else {
          // A healed partition delivers what waited; a blackholed connection that never reached upstream stays dead.
          flow(pair, next === "forward");
        }
      }
    },
    async stop() {
      for (const pair of pairs) {
        pair.upstream?.destroy();
        pair.client.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
