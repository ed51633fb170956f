/** Core reads the tracking tables by names it cannot import from declarations.ts: they must agree. */
import { describe, expect, it } from "vitest";
import { byReservationIndex, tableNameVariable as subscriptionsVariable } from "@haul/core/live/subscription";
import { tableNameVariable as sessionsVariable } from "@haul/core/tracking/tracking-session";
import { liveApi, tableNameVariable, tables, trackingApi } from "../../src/declarations.js";
import { routeContracts } from "../../src/route-contracts.js";

describe("the tracking tables as core reads them", () => {
  it("use the declared variables and index", () => {
    expect(subscriptionsVariable).toBe(tableNameVariable(tables.liveSubscriptions));
    expect(Object.keys(tables.liveSubscriptions.indexes)).toEqual([byReservationIndex]);
    expect(sessionsVariable).toBe(tableNameVariable(tables.trackingSessions));
  });

  it("are reachable by the routes that read them", () => {
    expect(liveApi.routes.$disconnect.uses).toContain("liveSubscriptionsTable");
    expect(liveApi.routes.subscribe.uses).toEqual(expect.arrayContaining(["trackingSessionsTable", "liveSubscriptionsTable", "search"]));
  });

  it("every TrackingApi route has a contract", () => {
    for (const routeKey of Object.keys(trackingApi.routes)) expect(routeContracts).toHaveProperty([routeKey]);
  });
});
