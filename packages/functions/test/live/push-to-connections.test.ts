import { GoneException, ForbiddenException } from "@aws-sdk/client-apigatewaymanagementapi";
import { describe, expect, it } from "vitest";
import { isGone } from "../../src/live/push-to-connections.js";

/** The pusher against the local gateway: packages/local/test/websocket-push.test.ts. */
describe("isGone", () => {
  it("knows Gone by its name, as the SDK models it", () => {
    expect(isGone(new GoneException({ message: "gone", $metadata: {} }))).toBe(true);
  });

  it("knows Gone by HTTP status 410 alone (an answer without an error type)", () => {
    expect(isGone(Object.assign(new Error("UnknownError"), { name: "UnknownError", $metadata: { httpStatusCode: 410 } }))).toBe(true);
  });

  it("takes nothing else for Gone", () => {
    expect(isGone(new ForbiddenException({ message: "forbidden", $metadata: { httpStatusCode: 403 } }))).toBe(false);
    // The v2-era `statusCode` is not where SDK v3 puts the status.
    expect(isGone(Object.assign(new Error("x"), { statusCode: 410 }))).toBe(false);
    expect(isGone("GoneException")).toBe(false);
    expect(isGone(undefined)).toBe(false);
  });
});
