import { describe, expect, it, vi } from "vitest";
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from "aws-lambda";
import { z } from "zod";
import { httpHandler, maxBodyBytes } from "../src/shared/http-handler.js";
import { logger } from "../src/shared/logger.js";
import { runAsService } from "../src/shared/invocation-service.js";
import { NotFoundError } from "@haul/core/errors";

const context = {
  awsRequestId: "req-1",
  functionName: "test",
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;

function event(overrides: {
  body?: string;
  headers?: Record<string, string>;
  claims?: Record<string, string> | undefined;
  query?: Record<string, string>;
  base64?: boolean;
}): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: "2.0",
    routeKey: "POST /things",
    rawPath: "/things",
    rawQueryString: "",
    headers: { "content-type": "application/json", ...overrides.headers },
    queryStringParameters: overrides.query,
    body: overrides.body,
    isBase64Encoded: overrides.base64 ?? false,
    requestContext: {
      requestId: "gw-request-1",
      http: { method: "POST", path: "/things" },
      authorizer: {
        principalId: "",
        integrationLatency: 0,
        jwt: { claims: overrides.claims ?? { sub: "u-1", "cognito:groups": "[customer]" }, scopes: [] },
      },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const thingSchema = z.strictObject({
  name: z.string().min(1),
  weightKg: z.number().positive(),
  pickup: z.strictObject({ lat: z.number().min(-90).max(90) }),
});

const createThing = httpHandler(
  { roles: ["customer"] as const, body: thingSchema, query: z.strictObject({ dryRun: z.enum(["true", "false"]).optional() }) },
  async ({ body, principal, correlationId }) => ({ status: 201, body: { ...body, owner: principal.userId, correlationId } }),
);

async function call(e: APIGatewayProxyEventV2WithJWTAuthorizer) {
  const result = await createThing(e, context);
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
}

const validBody = JSON.stringify({ name: "crate", weightKg: 10, pickup: { lat: 1 } });

type Line = Record<string, unknown> & { level: string; message: string };

/** Runs `work` and returns the lines it logged: with POWERTOOLS_DEV, Powertools writes through the global console. */
async function captureLines(work: () => Promise<unknown>): Promise<{ lines: Line[]; warnings: string[] }> {
  const lines: Line[] = [];
  const warnings: string[] = [];
  const record = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      warnings.push(text);
    }
  };
  const spies = (["debug", "info", "warn", "error", "log"] as const).map((method) => vi.spyOn(console, method).mockImplementation(record));
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return { lines, warnings };
}

const summariesOf = (lines: readonly Line[]) => lines.filter((line) => line.message === "request completed");

describe("httpHandler", () => {
  it("hands typed input and the principal to the logic", async () => {
    const reply = await call(event({ body: validBody }));
    expect(reply.statusCode).toBe(201);
    expect(reply.json).toMatchObject({ name: "crate", owner: "u-1" });
  });

  it("decodes base64 bodies", async () => {
    const reply = await call(event({ body: Buffer.from(validBody).toString("base64"), base64: true }));
    expect(reply.statusCode).toBe(201);
  });

  it("names every field at fault, unknown fields included, as problem+json", async () => {
    const reply = await call(
      event({ body: JSON.stringify({ name: "", weightKg: -1, pickup: { lat: 91 }, colour: "red" }) }),
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.headers?.["content-type"]).toBe("application/problem+json");
    const names = reply.json["invalid-params"].map((p: { name: string }) => p.name).sort();
    expect(names).toEqual(["body.colour", "body.name", "body.pickup.lat", "body.weightKg"]);
  });

  it("refuses malformed JSON, a wrong media type and an oversized body", async () => {
    expect((await call(event({ body: "{nope" }))).statusCode).toBe(400);
    expect((await call(event({ body: validBody, headers: { "content-type": "text/plain" } }))).statusCode).toBe(415);
    const huge = JSON.stringify({ name: "x".repeat(maxBodyBytes), weightKg: 1, pickup: { lat: 0 } });
    expect((await call(event({ body: huge }))).statusCode).toBe(413);
  });

  it("validates the query string", async () => {
    const reply = await call(event({ body: validBody, query: { dryRun: "maybe" } }));
    expect(reply.statusCode).toBe(400);
    expect(reply.json["invalid-params"][0].name).toBe("query.dryRun");
  });

  it("answers 403 to a wrong role and 401 to claims without a role", async () => {
    const driver = await call(event({ body: validBody, claims: { sub: "d-1", "cognito:groups": "[driver]" } }));
    expect(driver.statusCode).toBe(403);
    const roleless = await call(event({ body: validBody, claims: { sub: "x-1" } }));
    expect(roleless.statusCode).toBe(401);
  });

  it("takes the correlation id from the request, carries it on log lines and echoes it", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const info = vi.spyOn(console, "info").mockImplementation((...args) => lines.push(args.join(" ")));
    try {
      const reply = await call(event({ body: "{nope", headers: { "x-correlation-id": "corr-42" } }));
      logger.info("after");
      expect(reply.headers?.["x-correlation-id"]).toBe("corr-42");
    } finally {
      spy.mockRestore();
      info.mockRestore();
    }
    const refusal = lines.find((line) => line.includes("request refused"));
    expect(refusal).toBeDefined();
    expect(refusal).toContain("corr-42");
  });

  it("makes a correlation id from the gateway's request id when none is given", async () => {
    const reply = await call(event({ body: validBody }));
    expect(reply.headers?.["x-correlation-id"]).toBe("gw-request-1");
  });

  it("ends every request with exactly one summary line: route, method, path, status, latency and API request id", async () => {
    const broken = httpHandler({}, async () => {
      throw new Error("secret detail");
    });
    const cases = [
      { status: 201, level: "INFO", run: () => call(event({ body: validBody })) },
      { status: 400, level: "INFO", run: () => call(event({ body: "{nope" })) },
      { status: 403, level: "INFO", run: () => call(event({ body: validBody, claims: { sub: "d-1", "cognito:groups": "[driver]" } })) },
      { status: 500, level: "ERROR", run: () => broken(event({ headers: { "x-correlation-id": "corr-500" } }), context) },
    ];
    for (const { status, level, run } of cases) {
      const { lines, warnings } = await captureLines(run);
      const summaries = summariesOf(lines);
      expect(summaries, `status ${status}`).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ level, route: "POST /things", method: "POST", path: "/things", status, apiRequestId: "gw-request-1" });
      expect(summaries[0]!.latencyMs).toEqual(expect.any(Number));
      expect(summaries[0]!.latencyMs as number).toBeGreaterThanOrEqual(0);
      // The summary is the request's last line, and the metrics publish without a warning.
      expect(lines.at(-1)).toBe(summaries[0]);
      expect(warnings).toEqual([]);
    }
  });

  it("publishes its metrics without a warning when invocations run at once in one process, as in the local cloud", async () => {
    const { lines, warnings } = await captureLines(() => Promise.all(Array.from({ length: 8 }, () => call(event({ body: validBody })))));
    expect(summariesOf(lines)).toHaveLength(8);
    expect(lines.filter((line) => line.level !== "INFO")).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("carries the caller's correlation id on the summary line, and the gateway's request id as apiRequestId", async () => {
    const { lines } = await captureLines(() => call(event({ body: validBody, headers: { "x-correlation-id": "corr-7" } })));
    expect(summariesOf(lines)).toEqual([expect.objectContaining({ correlation_id: "corr-7", apiRequestId: "gw-request-1", status: 201 })]);
  });

  it("names the service the local cloud runs the invocation as on every line, else the process's", async () => {
    const named = await captureLines(() => runAsService("reservation", () => call(event({ body: "{nope" }))));
    expect(named.lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(named.lines.map((line) => line.service))).toEqual(new Set(["reservation"]));
    const unnamed = await captureLines(() => call(event({ body: validBody })));
    expect(summariesOf(unnamed.lines)[0]?.service).toBe(process.env.POWERTOOLS_SERVICE_NAME ?? "haul");
  });

  it("maps domain errors once, and hides unexpected ones behind a 500", async () => {
    const missing = httpHandler({}, async () => {
      throw new NotFoundError("no such thing");
    });
    const broken = httpHandler({}, async () => {
      throw new Error("secret detail");
    });
    const notFound = await missing(event({}), context);
    expect(notFound.statusCode).toBe(404);
    const failed = await broken(event({}), context);
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain("secret detail");
  });
});
