/**
 * Truck simulator: drives trucks from pickup to dropoff through the real APIs, as drivers' apps would.
 *
 *   npx tsx scripts/simulate-trucks.ts [--trucks 5] [--speedup 10] [--fix-every 2] [--fixes-per-post 5]
 *       [--reservations <id,id,...>] [--outputs <file>] [--seed <n>]
 *
 *   --trucks          trucks to drive (default 5); each gets a simulator driver and a reservation
 *   --speedup         distance covered per real second, as a multiple of the truck's speed (default 10);
 *                     fixes keep their real recordedAt times
 *   --fix-every       real seconds between two GPS fixes (default 2)
 *   --fixes-per-post  fixes per POST /positions (default 5)
 *   --reservations    drive these CONFIRMED or IN_TRANSIT reservations instead of making new ones
 *                     (their drivers' tokens are minted locally; against a stage pass --tokens)
 *   --tokens          a JSON file {"<userId>": "<token>"}: the tokens to use against a deployed stage
 *   --outputs         the outputs file: `.haul/outputs.json` (the local cloud) or a stage's
 *                     (`npx sst deploy --outputs-file ...`); default HAUL_OUTPUTS_FILE or .haul/outputs.json
 *   --seed            make the routes, speeds and GPS noise repeatable
 *
 * Locally, it creates its drivers (`Sim Driver n`, 3,500 kg box trucks) in the database, ends any
 * delivery an interrupted run left on the road for them, reserves each truck for the seeded customer
 * Ada Okafor with a window starting now, waits for CONFIRMED, then drives every truck at once:
 * pickup, fixes along a bending route between two points in Berlin 4 to 12 km apart at 45 to 75 km/h
 * with GPS noise, and delivery at the dropoff. It prints a line per truck as it goes.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { closePools } from "@haul/core/db/pools";
import type { Role } from "@haul/core/user";
import { mintToken } from "@haul/local/identity/mint-token";
import { readOutputs } from "@haul/local/outputs";
import { callApi } from "@haul/local/simulator/api-client";
import { ensureDrivers, finishLeftovers, reserveConfirmed, type SimulatedDriver } from "@haul/local/simulator/fleet";
import { distanceMeters, planRoute, randomPointNear, type Point } from "@haul/local/simulator/route";
import { driveTruck } from "@haul/local/simulator/truck";

const { values: args } = parseArgs({
  options: {
    trucks: { type: "string", default: "5" },
    speedup: { type: "string", default: "10" },
    "fix-every": { type: "string", default: "2" },
    "fixes-per-post": { type: "string", default: "5" },
    reservations: { type: "string" },
    tokens: { type: "string" },
    outputs: { type: "string" },
    seed: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const print = (line: string) => process.stdout.write(line + "\n");
const berlin: Point = { lat: 52.5163, lon: 13.3777 };

async function main(): Promise<void> {
  if (args.help) {
    print(usage());
    return;
  }
  const outputs = await readOutputs(args.outputs ?? process.env.HAUL_OUTPUTS_FILE);
  const apis = {
    reservationApiUrl: required(outputs, "ReservationApiUrl"),
    queryApiUrl: required(outputs, "QueryApiUrl"),
    trackingApiUrl: required(outputs, "TrackingApiUrl"),
  };
  const random = args.seed === undefined ? Math.random : seeded(Number(args.seed));
  const givenTokens = args.tokens ? (JSON.parse(await readFile(args.tokens, "utf8")) as Record<string, string>) : undefined;
  const tokenFor = async (userId: string, role: Role) => givenTokens?.[userId] ?? mintToken({ role, sub: userId, expiresIn: "4h" });

  const deliveries = args.reservations
    ? await givenDeliveries(args.reservations.split(",").map((id) => id.trim()), apis.queryApiUrl, tokenFor)
    : await newDeliveries(Number(args.trucks), apis, tokenFor, random);

  const speedup = Number(args.speedup);
  print(`Driving ${deliveries.length} truck(s) at ${speedup}x, a fix every ${args["fix-every"]} s, ${args["fixes-per-post"]} per POST /positions.`);
  const started = Date.now();
  const results = await Promise.allSettled(
    deliveries.map(async (delivery, index) => {
      const label = `truck ${index + 1}`;
      const lengthKm = (delivery.route.lengthMeters / 1000).toFixed(1);
      print(`  ${label}: reservation ${delivery.reservationId}, ${lengthKm} km`);
      let lastPrinted = 0;
      const result = await driveTruck({
        apis,
        driverToken: delivery.driverToken,
        reservationId: delivery.reservationId,
        route: delivery.route,
        speedup,
        fixEveryMs: Number(args["fix-every"]) * 1000,
        fixesPerPost: Number(args["fixes-per-post"]),
        markPickup: delivery.status !== "IN_TRANSIT",
        random,
        onProgress: (progress) => {
          if (progress.kind === "picked-up") print(`  ${label}: picked up`);
          if (progress.kind === "delivered") print(`  ${label}: delivered after ${progress.fixesPosted} fixes`);
          if (progress.kind === "posted" && Date.now() - lastPrinted > 5_000) {
            lastPrinted = Date.now();
            const percent = ((progress.travelledMeters / progress.lengthMeters) * 100).toFixed(0);
            print(`  ${label}: ${percent}% of ${lengthKm} km, ${progress.speedKmh.toFixed(0)} km/h`);
          }
        },
      });
      return result;
    }),
  );
  const failed = results.filter((result) => result.status === "rejected");
  for (const failure of failed) print(`  ! ${(failure as PromiseRejectedResult).reason}`);
  const fixes = results.reduce((sum, result) => sum + (result.status === "fulfilled" ? result.value.fixesPosted : 0), 0);
  print(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${deliveries.length - failed.length} delivered, ${failed.length} failed, ${fixes} fixes posted.`);
  if (failed.length > 0) process.exitCode = 1;
}

interface Delivery {
  readonly reservationId: string;
  readonly driverToken: string;
  readonly route: ReturnType<typeof planRoute>;
  readonly status: string;
}

type TokenFor = (userId: string, role: Role) => Promise<string>;

async function newDeliveries(count: number, apis: { reservationApiUrl: string; queryApiUrl: string }, tokenFor: TokenFor, random: () => number): Promise<Delivery[]> {
  const drivers = await ensureDrivers({ idPrefix: "e0000000", truckIdPrefix: "e1000000", label: "Sim Driver", count });
  const ended = await finishLeftovers(apis.reservationApiUrl, drivers, (id) => tokenFor(id, "driver"));
  if (ended > 0) print(`Ended ${ended} delivery(ies) an earlier run left on the road.`);
  const customer = demoPeopleWithRole("customer")[0]!;
  const customerToken = await tokenFor(customer.id, "customer");
  return Promise.all(
    drivers.map(async (driver: SimulatedDriver) => {
      const { pickup, dropoff } = tripInBerlin(random);
      const reservationId = await reserveConfirmed(apis, {
        customerToken,
        driver,
        pickup: { ...pickup, address: `Pickup yard of ${driver.name}, Berlin` },
        dropoff: { ...dropoff, address: `Dropoff dock for ${driver.name}, Berlin` },
      });
      return { reservationId, driverToken: await tokenFor(driver.id, "driver"), route: planRoute(pickup, dropoff, random), status: "CONFIRMED" };
    }),
  );
}

async function givenDeliveries(ids: readonly string[], queryApiUrl: string, tokenFor: TokenFor): Promise<Delivery[]> {
  const operator = demoPeopleWithRole("operator")[0]!;
  const operatorToken = await tokenFor(operator.id, "operator");
  return Promise.all(
    ids.map(async (id) => {
      const { body } = await callApi<{ status: string; driverId: string; pickup: Point; dropoff: Point }>("GET", `${queryApiUrl}/reservations/${id}`, { token: operatorToken });
      if (body.status !== "CONFIRMED" && body.status !== "IN_TRANSIT") throw new Error(`Reservation ${id} is ${body.status}: only CONFIRMED or IN_TRANSIT ones can be driven`);
      return { reservationId: id, driverToken: await tokenFor(body.driverId, "driver"), route: planRoute(body.pickup, body.dropoff), status: body.status };
    }),
  );
}

/** A pickup and a dropoff within 15 km of the city centre, 4 to 12 km apart. */
function tripInBerlin(random: () => number): { pickup: Point; dropoff: Point } {
  for (;;) {
    const pickup = randomPointNear(berlin, 15_000, random);
    const dropoff = randomPointNear(berlin, 15_000, random);
    const meters = distanceMeters(pickup, dropoff);
    if (meters >= 4_000 && meters <= 12_000) return { pickup, dropoff };
  }
}

/** mulberry32: a small repeatable generator for --seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function required(outputs: Record<string, string>, name: string): string {
  const value = outputs[name];
  if (!value) throw new Error(`The outputs file has no ${name}: is the local cloud (or the stage) running this version?`);
  return value;
}

function usage(): string {
  return "Usage: npx tsx scripts/simulate-trucks.ts [--trucks 5] [--speedup 10] [--fix-every 2] [--fixes-per-post 5] [--reservations <ids>] [--tokens <file>] [--outputs <file>] [--seed <n>]";
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`The simulator stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => closePools());
