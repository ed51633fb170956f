/**
 * One simulated truck on a delivery: the driver marks pickup, the truck drives its route at a
 * plausible, varying speed, the driver's app takes a GPS fix every `fixEveryMs` (with noise, as a
 * phone's GPS has) and posts them in batches through the real ingest API, and the driver marks
 * delivery at the dropoff. `speedup` makes the truck cover that many times the distance per second
 * of real time; fixes still carry the real time they were taken, as the ingest API requires.
 */
import { callApi } from "./api-client.js";
import { gaussian, type Route } from "./route.js";

export interface TruckApis {
  readonly reservationApiUrl: string;
  readonly trackingApiUrl: string;
}

export interface Fix {
  readonly lat: number;
  readonly lon: number;
  readonly recordedAt: string;
  readonly speed: number;
  readonly heading: number;
  readonly accuracy: number;
}

export type TruckProgress =
  | { readonly kind: "picked-up"; readonly at: Date }
  | { readonly kind: "posted"; readonly fixes: number; readonly travelledMeters: number; readonly lengthMeters: number; readonly speedKmh: number }
  | { readonly kind: "delivered"; readonly at: Date; readonly fixesPosted: number };

export interface DriveOptions {
  readonly apis: TruckApis;
  readonly driverToken: string;
  readonly reservationId: string;
  readonly route: Route;
  /** Distance covered per second of real time, as a multiple of the truck's speed; default 1. */
  readonly speedup?: number;
  /** Real time between two fixes; default 2 s. */
  readonly fixEveryMs?: number;
  /** Fixes per POST /positions; default 5. */
  readonly fixesPerPost?: number;
  /** The speed the truck settles around; default a draw between 45 and 75 km/h. */
  readonly cruiseKmh?: number;
  /** Stop after this many metres instead of at the dropoff (the demo drives a short way). */
  readonly stopAfterMeters?: number;
  /** POST /pickup first (default true) and /deliver on arrival (default true). */
  readonly markPickup?: boolean;
  readonly markDelivery?: boolean;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TruckProgress) => void;
}

export interface DriveResult {
  readonly fixesPosted: number;
  /** The last fix posted, if any. */
  readonly lastFix: Fix | undefined;
  readonly travelledMeters: number;
  readonly delivered: boolean;
}

/** GPS noise of a phone in the open: about 4 m standard deviation per axis. */
const gpsSigmaMeters = 4;
const metersPerDegreeLat = 111_320;

export async function driveTruck(options: DriveOptions): Promise<DriveResult> {
  const random = options.random ?? Math.random;
  const speedup = options.speedup ?? 1;
  const fixEveryMs = options.fixEveryMs ?? 2_000;
  const fixesPerPost = options.fixesPerPost ?? 5;
  const cruiseKmh = options.cruiseKmh ?? 45 + random() * 30;
  const { route } = options;
  const goal = Math.min(route.lengthMeters, options.stopAfterMeters ?? route.lengthMeters);
  const reservationPath = `${options.apis.reservationApiUrl}/reservations/${options.reservationId}`;

  if (options.markPickup ?? true) {
    await callApi("POST", `${reservationPath}/pickup`, { token: options.driverToken });
    options.onProgress?.({ kind: "picked-up", at: new Date() });
  }

  let travelled = 0;
  let speedKmh = 10;
  let fixesPosted = 0;
  let pending: Fix[] = [];
  let lastFix: Fix | undefined;
  const post = async () => {
    if (pending.length === 0) return;
    const fixes = pending;
    lastFix = fixes[fixes.length - 1];
    pending = [];
    await callApi("POST", `${options.apis.trackingApiUrl}/positions`, {
      token: options.driverToken,
      body: { reservationId: options.reservationId, fixes },
    });
    fixesPosted += fixes.length;
    options.onProgress?.({ kind: "posted", fixes: fixes.length, travelledMeters: travelled, lengthMeters: route.lengthMeters, speedKmh });
  };

  pending.push(fixAt(travelled, 0));
  let last = Date.now();
  while (travelled < goal) {
    await sleep(fixEveryMs, options.signal);
    const nowMs = Date.now();
    speedKmh = nextSpeed(speedKmh, cruiseKmh, travelled, route.lengthMeters, random);
    travelled = Math.min(goal, travelled + (speedKmh / 3.6) * ((nowMs - last) / 1000) * speedup);
    last = nowMs;
    pending.push(fixAt(travelled, speedKmh));
    if (pending.length >= fixesPerPost || travelled >= goal) await post();
  }
  await post();

  const delivered = travelled >= route.lengthMeters && (options.markDelivery ?? true);
  if (delivered) {
    await callApi("POST", `${reservationPath}/deliver`, { token: options.driverToken });
    options.onProgress?.({ kind: "delivered", at: new Date(), fixesPosted });
  }
  return { fixesPosted, lastFix, travelledMeters: travelled, delivered };

  function fixAt(distance: number, kmh: number): Fix {
    const place = route.at(distance);
    const northMeters = gaussian(random) * gpsSigmaMeters;
    const eastMeters = gaussian(random) * gpsSigmaMeters;
    return {
      lat: round(place.lat + northMeters / metersPerDegreeLat, 6),
      lon: round(place.lon + eastMeters / (metersPerDegreeLat * Math.cos((place.lat * Math.PI) / 180)), 6),
      recordedAt: new Date().toISOString(),
      speed: round(Math.max(0, kmh / 3.6 + gaussian(random) * 0.3), 2),
      heading: round(place.heading, 1) % 360,
      accuracy: round(3 + Math.abs(gaussian(random)) * 4, 1),
    };
  }
}

/** Drifts towards the cruise speed, slower in the first and last 400 m (leaving and reaching a yard). */
function nextSpeed(current: number, cruiseKmh: number, travelled: number, length: number, random: () => number): number {
  const nearEnd = Math.min(travelled, length - travelled);
  const target = nearEnd < 400 ? Math.max(15, cruiseKmh * (nearEnd / 400)) : cruiseKmh;
  const next = current + (target - current) * 0.3 + gaussian(random) * 2;
  return Math.max(5, Math.min(90, next));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
