/**
 * A local cloud of its own for an end-to-end test file: every service on a free port, its state in
 * a fresh temporary directory, workflow retries sped up; and tokens its issuer signs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { mintToken } from "../../packages/local/src/identity/mint-token.js";
import { loadOrCreateSigningKey } from "../../packages/local/src/identity/signing-key.js";
import { startLocalCloud, type LocalCloud } from "../../packages/local/src/main.js";

export interface TestCloud extends LocalCloud {
  /** A token of the cloud's issuer for `sub` in `role`. */
  token(role: "customer" | "driver" | "operator", sub: string): Promise<string>;
  /** Stops the cloud and removes its directory (the process's environment stays as the cloud set it). */
  stop(): Promise<void>;
}

/** `name` names the temporary directory, e.g. `query-api`. */
export async function startTestCloud(name: string): Promise<TestCloud> {
  const haulDir = await mkdtemp(path.join(tmpdir(), `haul-${name}-`));
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      haulDir,
      quiet: true,
      fresh: true,
      ports: { reservationApi: 0, queryApi: 0, identity: 0, dynamodb: 0, stepFunctions: 0, liveApi: 0, notificationApi: 0, trackingApi: 0, kinesis: 0, observabilityApi: 0, web: 0 },
      stepFunctions: { retryIntervalScale: 0.001 },
      // Positions reach OpenSearch within about a second; tests wait on cloud.firehose or call its flush().
      firehose: { bufferingIntervalSeconds: 0.5, pollIntervalMs: 100 },
    });
  } catch (error) {
    await rm(haulDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...cloud,
    async token(role, sub) {
      const signingKey = await loadOrCreateSigningKey(path.join(haulDir, "identity"));
      return mintToken({ role, sub, issuer: cloud.outputs.IssuerUrl!, signingKey });
    },
    async stop() {
      await cloud.stop();
      await rm(haulDir, { recursive: true, force: true });
    },
  };
}
