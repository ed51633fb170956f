import { describe, expect, it } from "vitest";
import { isUnreachable, replicaRoutingFromEnv } from "../../src/query/replica-router.js";

describe("replicaRoutingFromEnv", () => {
  it("reads the variables that are set and leaves the others to the defaults", () => {
    expect(replicaRoutingFromEnv({ HAUL_REPLICA_LAG_BOUND_SECONDS: "12.5", HAUL_REPLICA_COOL_DOWN_MS: "250" })).toEqual({ lagBoundSeconds: 12.5, coolDownMs: 250 });
    expect(replicaRoutingFromEnv({})).toEqual({});
  });

  it("refuses what is not a positive number, naming the variable", () => {
    expect(() => replicaRoutingFromEnv({ HAUL_REPLICA_FAILURE_THRESHOLD: "0" })).toThrow(/HAUL_REPLICA_FAILURE_THRESHOLD/);
    expect(() => replicaRoutingFromEnv({ HAUL_REPLICA_TIMEOUT_MS: "soon" })).toThrow(/HAUL_REPLICA_TIMEOUT_MS/);
  });
});

describe("isUnreachable", () => {
  it("tells a server that cannot serve from a statement's own error", () => {
    expect(isUnreachable(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("handshake"), { code: "ER_ACCESS_DENIED_ERROR", fatal: true }))).toBe(true);
    expect(isUnreachable(Object.assign(new Error("syntax"), { code: "ER_PARSE_ERROR", fatal: false }))).toBe(false);
    expect(isUnreachable(new Error("plain"))).toBe(false);
  });
});
