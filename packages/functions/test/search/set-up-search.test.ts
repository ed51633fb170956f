/**
 * The deploy step's handler as the SST Script invokes it: the grants in `event.params`, the family
 * files beside the bundle (LAMBDA_TASK_ROOT), the domain from HAUL_OPENSEARCH_URL. The domain here
 * is the security-plugin stand-in, and no family file ships yet, so the families step sends nothing
 * (packages/core/test/search/index-families.test.ts covers it against a real node).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { managedDescription, type SearchGrant } from "@haul/core/search/access-control";
import { closeSearchClient } from "@haul/core/search/search-client";
import { domainCreatedWithMaster, startFakeSecurityPlugin, type FakeSecurityPlugin } from "../../../core/test/support/fake-security-plugin.js";
import { handler } from "../../src/search/set-up-search.js";

const healthGrant: SearchGrant = {
  roleName: "haul_reservationapi_get_health",
  backendRoles: ["arn:aws:iam::123456789012:role/test-haul-ReservationApi-GET-health"],
  clusterPermissions: ["cluster:monitor/health"],
  indexPermissions: [],
};

const savedEnv = { ...process.env };
let plugin: FakeSecurityPlugin;
let taskRoot: string;

beforeEach(async () => {
  plugin = await startFakeSecurityPlugin(domainCreatedWithMaster("arn:aws:iam::123456789012:role/master"));
  taskRoot = mkdtempSync(path.join(tmpdir(), "haul-set-up-search-"));
  mkdirSync(path.join(taskRoot, "search", "index-families"), { recursive: true });
  Object.assign(process.env, { HAUL_OPENSEARCH_URL: plugin.url, HAUL_OPENSEARCH_AUTH: "none", LAMBDA_TASK_ROOT: taskRoot });
});

afterEach(async () => {
  await closeSearchClient();
  await plugin.close();
  rmSync(taskRoot, { recursive: true, force: true });
  process.env = { ...savedEnv };
});

describe("set-up-search handler", () => {
  it("maps the grants of its params and reports what it did", async () => {
    const result = await handler({ params: { domainEndpoint: "vpc-test.example", grants: [healthGrant] } as never });
    expect(result).toEqual({ familiesApplied: [], familiesUnchanged: [], rolesMapped: ["haul_reservationapi_get_health"], rolesRemoved: [] });
    expect(plugin.roles.get("haul_reservationapi_get_health")).toMatchObject({ description: managedDescription, cluster_permissions: ["cluster:monitor/health"] });
    expect(plugin.mappings.get("haul_reservationapi_get_health")?.backend_roles).toEqual(healthGrant.backendRoles);
  });

  it("fails the deploy on params it cannot read, before sending anything", async () => {
    await expect(handler({ params: { grants: [{ ...healthGrant, roleName: "all_access" }] } })).rejects.toThrow();
    await expect(handler({ params: { grants: "everyone" } })).rejects.toThrow();
    expect(plugin.requests).toEqual([]);
  });

  it("refuses params without grants rather than take every managed role for revoked", async () => {
    await expect(handler({})).rejects.toThrow();
    await expect(handler({ params: {} })).rejects.toThrow();
    expect(plugin.requests).toEqual([]);
  });

  it("with an empty list of grants, only looks for its own stale roles", async () => {
    const result = await handler({ params: { grants: [] } });
    expect(result.rolesMapped).toEqual([]);
    expect(plugin.requests).toEqual([{ method: "GET", path: "/_plugins/_security/api/roles" }]);
  });
});
