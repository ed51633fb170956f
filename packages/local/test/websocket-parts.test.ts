/** The local WebSocket gateway's small parts: route selection, the 32 KB frame guard, log redaction. */
import { describe, expect, it, vi } from "vitest";
import { createFrameSizeGuard } from "../src/websocket/frame-size-guard.js";
import { redactedTarget } from "../src/websocket/redaction.js";
import { createRouteSelector } from "../src/websocket/route-selection.js";

describe("route selection on $request.body.action", () => {
  const selector = createRouteSelector("$request.body.action", ["$connect", "$disconnect", "$default", "ping"]);

  it.each([
    ['{"action":"ping"}', "ping"],
    ['{"action":"ping","extra":[1,2]}', "ping"],
    ['{"action":"fly"}', "$default"],
    ['{"action":"$connect"}', "$default"],
    ['{"action":"$disconnect"}', "$default"],
    ['{"action":5}', "$default"],
    ['{"Action":"ping"}', "$default"],
    ['["ping"]', "$default"],
    ['"ping"', "$default"],
    ["ping", "$default"],
    ["", "$default"],
  ])("%s goes to %s", (body, routeKey) => {
    expect(selector.select(body)).toBe(routeKey);
  });

  it("selects by a nested path, and leaves unroutable messages unrouted without $default", () => {
    const nested = createRouteSelector("$request.body.meta.kind", ["position"]);
    expect(nested.select('{"meta":{"kind":"position"}}')).toBe("position");
    expect(nested.select('{"meta":"position"}')).toBeUndefined();
  });

  it("refuses expressions it cannot evaluate", () => {
    expect(() => createRouteSelector("$request.header.action", [])).toThrow(/\$request\.body/);
  });
});

describe("the 32 KB frame guard", () => {
  /** The bytes a client sends for one masked text frame of `payloadBytes` (RFC 6455 §5.2). */
  function clientFrame(payloadBytes: number): Buffer {
    let length: Buffer;
    if (payloadBytes < 126) length = Buffer.from([0x80 | payloadBytes]);
    else if (payloadBytes < 65_536) {
      length = Buffer.alloc(3);
      length[0] = 0x80 | 126;
      length.writeUInt16BE(payloadBytes, 1);
    } else {
      length = Buffer.alloc(9);
      length[0] = 0x80 | 127;
      length.writeBigUInt64BE(BigInt(payloadBytes), 1);
    }
    return Buffer.concat([Buffer.from([0x81]), length, Buffer.from([1, 2, 3, 4]), Buffer.alloc(payloadBytes, 97)]);
  }

  it("lets frames up to the limit through, however the bytes are split", () => {
    const tripped = vi.fn();
    const guard = createFrameSizeGuard(32 * 1024, tripped);
    const stream = Buffer.concat([clientFrame(10), clientFrame(200), clientFrame(32 * 1024), clientFrame(5)]);
    for (let offset = 0; offset < stream.length; offset += 7) guard(stream.subarray(offset, offset + 7));
    expect(tripped).not.toHaveBeenCalled();
  });

  it.each([32 * 1024 + 1, 70_000])("trips at the header of a %d-byte frame, even split mid-header", (size) => {
    const tripped = vi.fn();
    const guard = createFrameSizeGuard(32 * 1024, tripped);
    const frame = clientFrame(size);
    guard(Buffer.concat([clientFrame(3), frame.subarray(0, 3)]));
    expect(tripped).not.toHaveBeenCalled();
    guard(frame.subarray(3, 20));
    expect(tripped).toHaveBeenCalledTimes(1);
  });
});

describe("redacting request targets for logs", () => {
  it("replaces secret parameters, wherever they are and however encoded", () => {
    expect(redactedTarget("/local?token=abc.def.ghi&lang=de", ["token"])).toBe("/local?token=[redacted]&lang=de");
    expect(redactedTarget("/local?lang=de&%74oken=abc", ["token"])).toBe("/local?lang=de&%74oken=[redacted]");
    expect(redactedTarget("/local?token", ["token"])).toBe("/local?token=[redacted]");
    expect(redactedTarget("/local", ["token"])).toBe("/local");
  });
});
