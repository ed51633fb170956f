/**
 * The start-up demo's second half: the customer's app subscribes to the confirmed reservation on the
 * LiveApi, the driver picks the cargo up and drives a short way (the truck simulator, posting real
 * fixes through the TrackingApi), and the demo prints what the customer's app receives: the status
 * changes, the latest position at once on subscribe, and the next one-minute push.
 */
import WebSocket from "ws";
import { mintToken } from "../identity/mint-token.js";
import { callApi } from "../simulator/api-client.js";
import { planRoute, type Point } from "../simulator/route.js";
import { driveTruck } from "../simulator/truck.js";

export interface TrackingDemoSettings {
  readonly reservationApiUrl: string;
  readonly trackingApiUrl: string;
  readonly liveApiUrl: string;
  readonly reservationId: string;
  readonly customerId: string;
  readonly driverId: string;
  readonly pickup: Point;
  readonly dropoff: Point;
  /** The local push period, to say how long the wait for a push may be. */
  readonly pushPeriodSeconds: number;
}

interface Frame {
  readonly type?: string;
  readonly status?: string;
  readonly reservationId?: string;
  readonly position?: { lat: number; lon: number; recordedAt: string } | null;
  readonly ageSeconds?: number;
  readonly stale?: boolean;
  readonly tickAt?: string;
  readonly message?: string;
}

export async function runTrackingDemo(settings: TrackingDemoSettings, print: (line: string) => void): Promise<void> {
  const customerToken = await mintToken({ role: "customer", sub: settings.customerId });
  const driverToken = await mintToken({ role: "driver", sub: settings.driverId });
  const app = new WebSocket(`${settings.liveApiUrl}?token=${customerToken}`);
  const frames: Frame[] = [];
  let arrived: (() => void) | undefined;
  app.on("message", (data: Buffer) => {
    const frame = JSON.parse(data.toString("utf8")) as Frame;
    frames.push(frame);
    describe(frame);
    arrived?.();
  });
  await new Promise((resolve, reject) => app.once("open", resolve).once("error", reject));
  app.on("error", () => undefined);
  print(`  The customer's app is connected to the LiveApi and follows the truck.`);
  try {
    await callApi("POST", `${settings.reservationApiUrl}/reservations/${settings.reservationId}/pickup`, { token: driverToken });
    print(`  POST /reservations/${settings.reservationId}/pickup -> the driver has the cargo`);
    await waitFor((frame) => frame.type === "reservation-status" && frame.status === "IN_TRANSIT", 10_000);

    const route = planRoute(settings.pickup, settings.dropoff);
    print(`  The truck drives 1 km of its ${(route.lengthMeters / 1000).toFixed(1)} km route at 10x, a fix a second, through POST /positions...`);
    print(`  (pushes every ${settings.pushPeriodSeconds} s may arrive meanwhile)`);
    const drive = driveTruck({
      apis: settings,
      driverToken,
      reservationId: settings.reservationId,
      route,
      speedup: 10,
      fixEveryMs: 1_000,
      fixesPerPost: 3,
      stopAfterMeters: 1_000,
      markPickup: false,
      markDelivery: false,
    });
    const result = await drive;
    print(`  The truck posted ${result.fixesPosted} fixes over ${(result.travelledMeters / 1000).toFixed(2)} km; Firehose buffers them a few seconds.`);
    // The answer to subscribe carries the latest position OpenSearch has; ask again until the fixes are in.
    for (const deadline = Date.now() + 20_000; ; ) {
      const answer = await request({ action: "subscribe", reservationId: settings.reservationId }, (frame) => frame.type === "subscribed" || frame.type === "error");
      if (answer?.type !== "subscribed" || answer.position || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    print(`  Waiting for the next push (every ${settings.pushPeriodSeconds} s; npm start -- --push-period <s> changes it)...`);
    const seen = frames.length;
    const pushed = await waitFor((frame) => frame.type === "position" && frames.indexOf(frame) >= seen, (settings.pushPeriodSeconds + 15) * 1000);
    if (!pushed) print(`  No push arrived within ${settings.pushPeriodSeconds + 15} s.`);
    print(`  The truck stays IN_TRANSIT: watch it with npx tsx scripts/simulate-trucks.ts --reservations ${settings.reservationId}`);
  } finally {
    app.close(1000);
  }

  function describe(frame: Frame): void {
    if (frame.type === "subscribed" && !frame.position) return;
    if (frame.type === "reservation-status") print(`  customer's app <- status ${frame.status}`);
    else if (frame.type === "subscribed")
      print(`  customer's app <- subscribed; latest position ${frame.position ? `${place(frame.position)} at ${frame.position.recordedAt}` : "none yet"}`);
    else if (frame.type === "position" && frame.position)
      print(`  customer's app <- push at ${frame.tickAt}: ${place(frame.position)}, ${frame.ageSeconds} s old${frame.stale ? " (stale)" : ""}`);
    else if (frame.type === "error") print(`  customer's app <- error: ${frame.message}`);
  }

  async function request(message: object, match: (frame: Frame) => boolean): Promise<Frame | undefined> {
    const seen = frames.length;
    app.send(JSON.stringify(message));
    return waitFor((frame) => match(frame) && frames.indexOf(frame) >= seen, 10_000);
  }

  async function waitFor(match: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      arrived = undefined;
    }
  }
}

function place(position: { lat: number; lon: number }): string {
  return `${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}`;
}
