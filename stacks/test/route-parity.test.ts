/**
 * The cloud and the local cloud are built from one declaration; this checks the result, not the intent:
 * the routes of the synthesized HTTP APIs equal the routes the running local gateway serves.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { cors, httpApis } from "../../packages/functions/src/declarations.js";
import { startHttpApiGateway } from "../../packages/local/src/gateway/http-api-gateway.js";
import { repoRoot } from "../../packages/local/src/config.js";
import { synthesizedHttpApiRouteKeys } from "./support/synth-app.js";

describe("route parity between the SST app and the local gateway", () => {
  let synthesized: Record<string, string[]>;

  // Synthesis (bundling every function) takes longer than one test's timeout on a busy machine.
  beforeAll(async () => {
    synthesized = await synthesizedHttpApiRouteKeys();
  }, 180_000);

  it.each(httpApis.map((api) => [api.name, api] as const))("%s exposes the same routes in both", async (_name, api) => {
    const gateway = await startHttpApiGateway({
      api,
      cors,
      authorizer: { issuer: "http://127.0.0.1:1", audience: ["parity"] },
      host: "127.0.0.1",
      port: 0,
      root: repoRoot,
      resourcePrefix: "parity",
    });
    try {
      expect(synthesized[api.name]).toBeDefined();
      expect([...gateway.listRoutes()].sort()).toEqual([...synthesized[api.name]!].sort());
    } finally {
      await gateway.stop();
    }
  });
});
