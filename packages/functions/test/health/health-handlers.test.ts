/**
 * The two services' GET /health as API Gateway invokes them, on the real servers: the reservation
 * API's check includes OpenSearch, the query service's does not (it never uses OpenSearch).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient } from "@haul/core/cache/redis-client";
import { closePools } from "@haul/core/db/pools";
import { closeSearchClient } from "@haul/core/search/search-client";
import { migrateTestDatabase } from "../../../core/test/support/database.js";
import { handler as getHealth } from "../../src/health/get-health.js";
import { handler as getQueryHealth } from "../../src/query/get-query-health.js";
import { lambdaContext } from "../reservation/support.js";

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

async function call(handler: unknown) {
  const event = {
    version: "2.0",
    routeKey: "GET /health",
    rawPath: "/health",
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: `gw-${Math.random().toString(36).slice(2)}` },
  } as unknown as APIGatewayProxyEventV2;
  const result = await (handler as Handler)(event, lambdaContext());
  return { status: result.statusCode, json: JSON.parse(String(result.body)) };
}

const savedEnv = { ...process.env };

beforeAll(async () => {
  // The query service probes as the read-only user: make sure it exists.
  await migrateTestDatabase();
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await Promise.all([closePools(), closeRedisClient(), closeSearchClient()]);
});

afterAll(async () => {
  await Promise.all([closePools(), closeRedisClient(), closeSearchClient()]);
});

describe("GET /health", () => {
  it("of the reservation API includes OpenSearch", async () => {
    const { status, json } = await call(getHealth);
    expect(status).toBe(200);
    expect(Object.keys(json.dependencies).sort()).toEqual(["opensearch", "primary", "redis", "replica"]);
    expect(json.dependencies.opensearch).toEqual({ status: "up", latencyMs: expect.any(Number) });
  });

  it("of the query service does not", async () => {
    const { status, json } = await call(getQueryHealth);
    expect(status).toBe(200);
    expect(Object.keys(json.dependencies).sort()).toEqual(["primary", "redis", "replica"]);
  });

  it("answers 503 naming OpenSearch when it is down, while the query service stays healthy", async () => {
    process.env.HAUL_OPENSEARCH_URL = "http://127.0.0.1:1";
    const reservation = await call(getHealth);
    expect(reservation.status).toBe(503);
    expect(reservation.json).toMatchObject({ healthy: false, dependencies: { opensearch: { status: "down", reason: "ECONNREFUSED" }, primary: { status: "up" } } });
    expect((await call(getQueryHealth)).status).toBe(200);
  });
});
