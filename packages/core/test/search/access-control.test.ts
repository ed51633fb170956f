/**
 * The security-plugin requests that map IAM roles to least-privilege OpenSearch roles. The local
 * node has no security plugin, so they go to a stand-in that records them and answers as the
 * plugin does (test/support/fake-security-plugin.ts): the exact method, path and body of each.
 */
import type { Client } from "@opensearch-project/opensearch";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  applySearchGrants,
  familyIndexPatterns,
  indexActionGroups,
  managedDescription,
  parseSearchGrants,
  searchGrant,
  SearchAccessError,
  type SearchGrant,
} from "../../src/search/access-control.js";
import { createSearchClient } from "../../src/search/search-client.js";
import { domainCreatedWithMaster, startFakeSecurityPlugin, type FakeSecurityPlugin } from "../support/fake-security-plugin.js";

const account = "123456789012";
const masterRoleArn = `arn:aws:iam::${account}:role/test-haul-Search-SearchSetUpServiceRole-ABC123`;
const healthRoleArn = `arn:aws:iam::${account}:role/test-haul-ReservationApi-GET-health`;
const writerRoleArn = `arn:aws:iam::${account}:role/test-haul-positions-writer`;

const healthGrant: SearchGrant = {
  roleName: "haul_reservationapi_get_health",
  backendRoles: [healthRoleArn],
  clusterPermissions: ["cluster:monitor/health"],
  indexPermissions: [],
};
const writerGrant: SearchGrant = {
  roleName: "haul_positions_writer",
  backendRoles: [writerRoleArn],
  clusterPermissions: ["indices:data/write/bulk"],
  indexPermissions: [{ indexPatterns: ["positions", "positions-*"], allowedActions: ["index", "create_index"] }],
};

const rolePath = (name: string) => `/_plugins/_security/api/roles/${name}`;
const mappingPath = (name: string) => `/_plugins/_security/api/rolesmapping/${name}`;

/** The requests one run sends for these grants against a domain holding no stale role of ours. */
const expectedRequests = [
  {
    method: "PUT",
    path: rolePath("haul_reservationapi_get_health"),
    body: { description: managedDescription, cluster_permissions: ["cluster:monitor/health"], index_permissions: [] },
  },
  {
    method: "PUT",
    path: mappingPath("haul_reservationapi_get_health"),
    body: { description: managedDescription, backend_roles: [healthRoleArn] },
  },
  {
    method: "PUT",
    path: rolePath("haul_positions_writer"),
    body: {
      description: managedDescription,
      cluster_permissions: ["indices:data/write/bulk"],
      index_permissions: [{ index_patterns: ["positions", "positions-*"], allowed_actions: ["index", "create_index"] }],
    },
  },
  {
    method: "PUT",
    path: mappingPath("haul_positions_writer"),
    body: { description: managedDescription, backend_roles: [writerRoleArn] },
  },
  { method: "GET", path: "/_plugins/_security/api/roles" },
];

let plugin: FakeSecurityPlugin;
let client: Client;

/** A fresh stand-in (the domain as created, plus `extra`) and a client of it, for one test. */
async function start(extra: Parameters<typeof startFakeSecurityPlugin>[0] = { roles: {}, mappings: {} }) {
  const domain = domainCreatedWithMaster(masterRoleArn);
  plugin = await startFakeSecurityPlugin({ roles: { ...domain.roles, ...extra.roles }, mappings: { ...domain.mappings, ...extra.mappings } });
  // No retries: every request the code sends is one request recorded.
  client = createSearchClient({ url: plugin.url, auth: "none", maxRetries: 0 });
}

describe("applySearchGrants", () => {
  // Every test here starts its own stand-in (beforeEach); a closed client's close() never settles, so only here.
  afterEach(async () => {
    await client.close();
    await plugin.close();
  });

  describe("on a domain as created", () => {
    beforeEach(() => start());

    it("puts each grant's role, then its mapping, with exactly the granted permissions and IAM roles", async () => {
      const report = await applySearchGrants(client, [healthGrant, writerGrant]);
      expect(plugin.requests).toEqual(expectedRequests);
      expect(report).toEqual({ applied: ["haul_reservationapi_get_health", "haul_positions_writer"], removed: [] });
      expect(plugin.mappings.get("haul_reservationapi_get_health")?.backend_roles).toEqual([healthRoleArn]);
    });

    it("is idempotent: a second run sends the same requests and leaves the domain as the first did", async () => {
      await applySearchGrants(client, [healthGrant, writerGrant]);
      const first = plugin.requests.splice(0);
      const afterFirst = { roles: structuredClone([...plugin.roles]), mappings: structuredClone([...plugin.mappings]) };

      const report = await applySearchGrants(client, [healthGrant, writerGrant]);
      expect(plugin.requests).toEqual(first);
      expect({ roles: [...plugin.roles], mappings: [...plugin.mappings] }).toEqual(afterFirst);
      expect(report.removed).toEqual([]);
    });

    it("leaves the master role's all_access and security_manager mappings alone", async () => {
      const before = { allAccess: structuredClone(plugin.mappings.get("all_access")), securityManager: structuredClone(plugin.mappings.get("security_manager")) };
      await applySearchGrants(client, [healthGrant, writerGrant]);
      await applySearchGrants(client, [healthGrant]);

      expect(plugin.mappings.get("all_access")).toEqual(before.allAccess);
      expect(plugin.mappings.get("all_access")?.backend_roles).toEqual([masterRoleArn]);
      expect(plugin.mappings.get("security_manager")).toEqual(before.securityManager);
      const writes = plugin.requests.filter((request) => request.method !== "GET");
      expect(writes.filter((request) => /all_access|security_manager|readall/.test(request.path))).toEqual([]);
    });

    it("replaces a role whose grant changed (a PUT replaces), and deletes one no longer granted, mapping first", async () => {
      await applySearchGrants(client, [healthGrant, writerGrant]);
      plugin.requests.splice(0);

      const narrower: SearchGrant = { ...healthGrant, clusterPermissions: ["cluster:monitor/health"], backendRoles: [healthRoleArn, writerRoleArn] };
      const report = await applySearchGrants(client, [narrower]);

      expect(plugin.requests).toEqual([
        expectedRequests[0],
        { method: "PUT", path: mappingPath("haul_reservationapi_get_health"), body: { description: managedDescription, backend_roles: [healthRoleArn, writerRoleArn] } },
        { method: "GET", path: "/_plugins/_security/api/roles" },
        { method: "DELETE", path: mappingPath("haul_positions_writer") },
        { method: "DELETE", path: rolePath("haul_positions_writer") },
      ]);
      expect(report).toEqual({ applied: ["haul_reservationapi_get_health"], removed: ["haul_positions_writer"] });
      expect(plugin.roles.has("haul_positions_writer")).toBe(false);
      expect(plugin.mappings.has("haul_positions_writer")).toBe(false);
    });

    it("with no grants, changes nothing but its own roles", async () => {
      await applySearchGrants(client, []);
      expect(plugin.requests).toEqual([{ method: "GET", path: "/_plugins/_security/api/roles" }]);
    });
  });

  describe("next to roles someone else made", () => {
    beforeEach(() =>
      start({
        roles: {
          // Made by hand in Dashboards: named like ours, but not marked as ours.
          haul_analyst: { description: "Operators' read-only role", index_permissions: [{ index_patterns: ["*"], allowed_actions: ["read"] }] },
          ops_monitor: { description: managedDescription, cluster_permissions: ["cluster_monitor"] },
        },
        mappings: {
          haul_analyst: { backend_roles: ["arn:aws:iam::123456789012:role/analyst"] },
          ops_monitor: { backend_roles: ["arn:aws:iam::123456789012:role/ops"] },
        },
      }),
    );

    it("deletes only roles that are its own (marked, and named haul_...)", async () => {
      const report = await applySearchGrants(client, [healthGrant]);
      expect(report.removed).toEqual([]);
      expect(plugin.requests.filter((request) => request.method === "DELETE")).toEqual([]);
      expect([...plugin.roles.keys()]).toEqual(expect.arrayContaining(["haul_analyst", "ops_monitor"]));
    });
  });

  describe("refusals", () => {
    beforeEach(() => start());

    it.each([
      ["a built-in role's name", { ...healthGrant, roleName: "all_access" }],
      ["a name without the haul_ prefix", { ...healthGrant, roleName: "health" }],
      ["a wildcard backend role", { ...healthGrant, backendRoles: [`arn:aws:iam::${account}:role/*`] }],
      ["no backend role", { ...healthGrant, backendRoles: [] }],
      ["an index pattern that starts with a wildcard", { ...writerGrant, indexPermissions: [{ indexPatterns: ["*"], allowedActions: ["read"] }] }],
      ["`*` as a cluster permission", { ...healthGrant, clusterPermissions: ["*"] }],
    ])("refuses %s before sending anything", async (_case, grant) => {
      await expect(applySearchGrants(client, [grant as SearchGrant])).rejects.toThrow();
      expect(plugin.requests).toEqual([]);
    });

    it("refuses the same role granted twice", async () => {
      await expect(applySearchGrants(client, [healthGrant, { ...healthGrant, backendRoles: [writerRoleArn] }])).rejects.toThrow(/more than once: haul_reservationapi_get_health/);
      expect(plugin.requests).toEqual([]);
    });

    it("names the call and the plugin's answer when a request fails", async () => {
      plugin.failOn(mappingPath("haul_reservationapi_get_health"), 403, { status: "FORBIDDEN", message: "No permission" });
      const failure = applySearchGrants(client, [healthGrant, writerGrant]);
      await expect(failure).rejects.toBeInstanceOf(SearchAccessError);
      await expect(failure).rejects.toThrow(/PUT role mapping haul_reservationapi_get_health failed: 403 .*No permission/);
      // It stops there: the next grant is not half-applied.
      expect(plugin.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `PUT ${rolePath("haul_reservationapi_get_health")}`,
        `PUT ${mappingPath("haul_reservationapi_get_health")}`,
      ]);
    });
  });
});

describe("searchGrant", () => {
  it("gives the exact cluster actions declared, and per family its alias and indices with the action groups of the declared access", () => {
    const grant = searchGrant("haul_positions_writer", [writerRoleArn], {
      cluster: ["indices:data/write/bulk", "indices:data/write/bulk"],
      indices: [
        { families: ["positions"], actions: ["write"] },
        { families: ["reservation-messages", "positions"], actions: ["read", "write"] },
      ],
    });
    expect(grant).toEqual({
      roleName: "haul_positions_writer",
      backendRoles: [writerRoleArn],
      clusterPermissions: ["indices:data/write/bulk"],
      indexPermissions: [
        { indexPatterns: ["positions", "positions-*"], allowedActions: ["index", "create_index"] },
        {
          indexPatterns: ["reservation-messages", "reservation-messages-*", "positions", "positions-*"],
          allowedActions: ["read", "index", "create_index"],
        },
      ],
    });
  });

  it("maps each kind of access to the least action groups that serve it", () => {
    expect(indexActionGroups).toEqual({ read: ["read"], write: ["index", "create_index"], admin: ["manage"] });
  });

  it("puts a prefix on the patterns, as the index families are named under one", () => {
    expect(familyIndexPatterns("positions", "test-")).toEqual(["test-positions", "test-positions-*"]);
    expect(() => familyIndexPatterns("Positions")).toThrow(/not an index family name/);
  });

  it("refuses a role name that is not Haul's", () => {
    expect(() => searchGrant("all_access", [healthRoleArn], {})).toThrow(/not a Haul OpenSearch role name/);
  });

  it("round-trips through parseSearchGrants, as the deploy step receives grants", () => {
    const grants = [healthGrant, writerGrant];
    expect(parseSearchGrants(JSON.parse(JSON.stringify(grants)))).toEqual(grants);
  });
});
