import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Connection, LiveConnection } from "@haul/core/live/connection";
import { liveApi, tableNameVariable, tables } from "../../src/declarations.js";
import { knownActions } from "../../src/live/frames.js";

const repoRoot = path.resolve(import.meta.dirname, "../../../..");

describe("the LiveApi declaration", () => {
  it("declares the connections table where the domain looks for it (core cannot import the declaration)", () => {
    expect(tableNameVariable(tables.liveConnections)).toBe(Connection.tableNameVariable);
    expect(tables.liveConnections.indexes[Connection.byUserIndex]).toEqual({ partitionKey: "userId" });
    expect(tables.liveConnections.partitionKey in LiveConnection.shape).toBe(true);
    expect(tables.liveConnections.timeToLiveAttribute in LiveConnection.shape).toBe(true);
  });

  it("has API Gateway's own routes, routes messages by action, and names subscribe, unsubscribe and ping as the actions", () => {
    expect(Object.keys(liveApi.routes).sort()).toEqual(["$connect", "$default", "$disconnect", "ping", "subscribe", "unsubscribe"]);
    expect(liveApi.routeSelectionExpression).toBe("$request.body.action");
    expect([...knownActions].sort()).toEqual(["ping", "subscribe", "unsubscribe"]);
  });

  it("reads the token from the query string and admits drivers and customers", () => {
    expect(liveApi.authorizer.identitySource).toEqual(["route.request.querystring.token"]);
    expect([...liveApi.authorizer.roles].sort()).toEqual(["customer", "driver"]);
  });

  it("names handler modules that exist", () => {
    for (const { handler } of [liveApi.authorizer, ...Object.values(liveApi.routes)]) {
      expect(existsSync(path.join(repoRoot, `${handler.slice(0, handler.lastIndexOf("."))}.ts`)), handler).toBe(true);
    }
  });
});
