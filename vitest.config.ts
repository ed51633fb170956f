import { defineConfig } from "vitest/config";

/** Tests get their own database next to the demo's, on the same server the user configured. */
function testDatabaseUrl(): string {
  const url = new URL(process.env.HAUL_MYSQL_URL ?? "mysql://haul:haul@127.0.0.1:3306/haul");
  url.pathname = "/haul_test";
  return url.toString();
}

function testReplicaUrl(): string {
  const url = new URL(process.env.HAUL_MYSQL_REPLICA_URL ?? "mysql://haul:haul@127.0.0.1:3307/haul");
  url.pathname = "/haul_test";
  return url.toString();
}

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.{ts,tsx}", "stacks/test/**/*.test.ts", "test/**/*.test.ts"],
    // The files share real servers (one test database) and SST's .sst/artifacts: run them one at a time.
    fileParallelism: false,
    // Handler logs of a passing test are noise; a failing test keeps its logs next to its failure.
    silent: "passed-only",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: {
      HAUL_MYSQL_URL: testDatabaseUrl(),
      HAUL_MYSQL_REPLICA_URL: testReplicaUrl(),
      // Tests' OpenSearch indices, templates and pipelines are named test-*, next to the demo's.
      HAUL_OPENSEARCH_INDEX_PREFIX: "test-",
      SST_TELEMETRY_DISABLED: "1",
      AWS_REGION: process.env.AWS_REGION ?? "us-east-1",
      POWERTOOLS_DEV: "true",
      // scripts/test.sh builds the web app first; the synth tests' StaticSite uploads that build.
      HAUL_WEB_PREBUILT: "1",
      // Node 20 is the documented local runtime; the SDK's notice about 2027 only buries test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
