/**
 * The start-up demo: the driver's app connects to the LiveApi, a seeded customer reserves that
 * driver's truck through the local gateway, the demo follows the execution through the local Step
 * Functions API, state by state, as an operator would, and prints the notification the driver's app
 * received on its WebSocket (type, title, text, reservation, how long after the 202).
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  type HistoryEvent,
} from "@aws-sdk/client-sfn";
import WebSocket from "ws";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { mintToken } from "../identity/mint-token.js";
import { finishLeftovers } from "../simulator/fleet.js";

export interface DemoEndpoints {
  readonly reservationApiUrl: string;
  /** Where the demo asks which drivers are free (GET /drivers/available). */
  readonly queryApiUrl: string;
  readonly stepFunctionsEndpoint: string;
  readonly stateMachineArn: string;
  /** The LiveApi (`ws://…/local`) the driver's app connects to; without it the demo skips the notification. */
  readonly liveApiUrl?: string;
}

/** How long the demo waits for the driver's app to connect, and for the notification to arrive. */
export interface DemoTimeouts {
  readonly connectMs?: number;
  readonly notificationMs?: number;
}

const hour = 3_600_000;
const pickup = { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" };
const dropoff = { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" };

export interface DemoReservation {
  readonly reservationId: string | undefined;
  /** The reservation's status when its execution closed. */
  readonly status: string;
  readonly customerId: string;
  readonly driverId: string;
  readonly pickup: { readonly lat: number; readonly lon: number };
  readonly dropoff: { readonly lat: number; readonly lon: number };
}

/** Runs the demo and resolves with the reservation and its status; writes progress with `print`. */
export async function runReservationDemo(
  endpoints: DemoEndpoints,
  print: (line: string) => void = (line) => process.stdout.write(line + "\n"),
  timeouts: DemoTimeouts = {},
): Promise<DemoReservation> {
  const customer = demoPeopleWithRole("customer")[0]!;
  // A 30-minute window starting in a minute, so the driver may pick up at once (the tracking demo).
  const start = new Date(Date.now() + 60_000);
  const end = new Date(start.getTime() + 30 * 60_000);
  const token = await mintToken({ role: "customer", sub: customer.id });
  const driver = await chooseDriver(endpoints, token, start, end, print);
  print(`Demo: ${customer.name} (customer) reserves ${driver.name}'s ${driver.truck!.class} truck ${driver.truck!.plate}`);
  print(`      ${start.toISOString()} -> ${end.toISOString()}, 800 kg of machine parts`);
  const app = endpoints.liveApiUrl ? await connectDriverApp(endpoints.liveApiUrl, driver.id, driver.name, timeouts.connectMs ?? 5_000, print) : undefined;
  try {
    return await reserveAndFollow();
  } finally {
    app?.close();
  }

  async function reserveAndFollow(): Promise<DemoReservation> {
    const response = await fetch(`${endpoints.reservationApiUrl}/reservations`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "idempotency-key": `demo-${start.getTime()}-${driver.id}`,
      },
      body: JSON.stringify({
        driverId: driver.id,
        pickup,
        dropoff,
        window: { start: start.toISOString(), end: end.toISOString() },
        cargo: { weightKg: 800, description: "Machine parts on two pallets" },
      }),
    });
    const acceptedAt = Date.now();
    const accepted = (await response.json()) as { reservationId?: string; status?: string; title?: string; detail?: string };
    if (response.status !== 202 || !accepted.reservationId) {
      throw new Error(`POST /reservations answered ${response.status}: ${accepted.title ?? ""} ${accepted.detail ?? ""}`);
    }
    print(`  POST /reservations -> 202 ${accepted.status}, reservation ${accepted.reservationId}`);

    const executionArn = `${endpoints.stateMachineArn.replace(":stateMachine:", ":execution:")}:${accepted.reservationId}`;
    const sfn = new SFNClient({ endpoint: endpoints.stepFunctionsEndpoint });
    const output = await followExecution(sfn, executionArn, print);
    const status = (output as { reservation?: { status?: string } } | undefined)?.reservation?.status ?? "unknown";
    print(`  Reservation ${accepted.reservationId} is ${status}.`);
    sfn.destroy();
    if (app && status === "CONFIRMED") {
      const arrival = await app.next(accepted.reservationId, timeouts.notificationMs ?? 10_000);
      if (arrival) {
        const { message, at } = arrival;
        print(`  ${driver.name}'s app got it on the LiveApi, ${Math.max(0, at - acceptedAt)} ms after the 202:`);
        print(`    ${message.type}: ${message.title}`);
        print(`    ${message.text}`);
        print(`    reservation ${message.reservationId}, message ${message.eventId}`);
      } else {
        print(`  No notification reached ${driver.name}'s app within ${(timeouts.notificationMs ?? 10_000) / 1000} s; it waits, unread, in the history (GET /drivers/${driver.id}/messages on the NotificationApi).`);
      }
    }
    print(`  Inspect it: aws stepfunctions get-execution-history --endpoint-url ${endpoints.stepFunctionsEndpoint} --execution-arn ${executionArn}`);
    return { reservationId: accepted.reservationId, status, customerId: customer.id, driverId: driver.id, pickup, dropoff };
  }
}

/**
 * A seeded driver free for the window, as a customer's app would find one; when none is (earlier
 * demos left deliveries on the road), one of them whose leftover deliveries the demo ends first.
 */
async function chooseDriver(endpoints: DemoEndpoints, token: string, start: Date, end: Date, print: (line: string) => void) {
  const seeded = demoPeopleWithRole("driver");
  const query = new URLSearchParams({ from: start.toISOString(), to: end.toISOString() });
  const response = await fetch(`${endpoints.queryApiUrl}/drivers/available?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const available = response.ok ? ((await response.json()) as { drivers: Array<{ driverId: string }> }).drivers.map((free) => free.driverId) : [];
  const free = seeded.filter((driver) => available.includes(driver.id));
  if (free.length > 0) return free[Math.floor(Math.random() * free.length)]!;
  const driver = seeded[Math.floor(Math.random() * seeded.length)]!;
  const ended = await finishLeftovers(
    endpoints.reservationApiUrl,
    [{ id: driver.id, name: driver.name, capacityKg: driver.truck!.capacityKg }],
    () => mintToken({ role: "driver", sub: driver.id }),
    end,
  );
  print(`  (no seeded driver is free now: ended ${ended} delivery(ies) earlier demos left on the road for ${driver.name})`);
  return driver;
}

interface ReceivedMessage {
  readonly eventId: string;
  readonly type: string;
  readonly reservationId: string;
  readonly title: string;
  readonly text: string;
}

interface DriverApp {
  /** The first `driver-message` about `reservationId`, with when it arrived; undefined after `timeoutMs`. */
  next(reservationId: string, timeoutMs: number): Promise<{ message: ReceivedMessage; at: number } | undefined>;
  close(): void;
}

/**
 * The driver's app: one LiveApi connection with a driver token, keeping the `driver-message` frames
 * that arrive. A connection that fails or times out is reported in one line; the demo goes on
 * without it (the notification still waits in the driver's history).
 */
async function connectDriverApp(
  liveApiUrl: string,
  driverId: string,
  driverName: string,
  timeoutMs: number,
  print: (line: string) => void,
): Promise<DriverApp | undefined> {
  const token = await mintToken({ role: "driver", sub: driverId });
  const socket = new WebSocket(`${liveApiUrl}?token=${token}`);
  const received: Array<{ message: ReceivedMessage; at: number }> = [];
  let arrived: (() => void) | undefined;
  socket.on("message", (data: Buffer) => {
    try {
      const frame = JSON.parse(data.toString("utf8")) as { type?: string; message?: ReceivedMessage };
      if (frame.type === "driver-message" && frame.message) {
        received.push({ message: frame.message, at: Date.now() });
        arrived?.();
      }
    } catch {
      // Not JSON: not for the demo.
    }
  });
  const opened = await new Promise<true | string>((resolve) => {
    const timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    const settle = (outcome: true | string) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.once("open", () => settle(true));
    socket.once("unexpected-response", (_request, response) => settle(`$connect answered ${response.statusCode}`));
    socket.once("error", (error) => settle(error.message));
  });
  socket.on("error", () => undefined);
  if (opened !== true) {
    socket.terminate();
    print(`  (${driverName}'s app could not connect to the LiveApi ${liveApiUrl}: ${opened}; the demo goes on without it)`);
    return undefined;
  }
  print(`  ${driverName}'s app is connected to the LiveApi (${liveApiUrl}) with a driver token`);
  return {
    async next(reservationId, waitMs) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const found = received.find((arrival) => arrival.message.reservationId === reservationId);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0 || socket.readyState !== WebSocket.OPEN) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          arrived = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        arrived = undefined;
      }
    },
    close: () => socket.close(1000),
  };
}

/** Prints each state as it exits, with its duration, until the execution closes; returns its output. */
async function followExecution(sfn: SFNClient, executionArn: string, print: (line: string) => void): Promise<unknown> {
  const entered = new Map<string, number>();
  let seen = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    // Describe first, history second: a closed execution's history is then complete when printed.
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    for (const event of events.slice(seen)) describeEvent(event, entered, print);
    seen = events.length;
    if (execution.status !== "RUNNING") {
      print(`  Execution ${execution.status}${execution.error ? ` (${execution.error})` : ""}`);
      return execution.output ? JSON.parse(execution.output) : undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`The execution ${executionArn} did not finish within 30 s`);
}

function describeEvent(event: HistoryEvent, entered: Map<string, number>, print: (line: string) => void): void {
  const at = event.timestamp?.getTime() ?? Date.now();
  if (event.stateEnteredEventDetails?.name) entered.set(event.stateEnteredEventDetails.name, at);
  const exited = event.stateExitedEventDetails?.name;
  if (exited) {
    const took = at - (entered.get(exited) ?? at);
    print(`    ✓ ${exited.padEnd(28)} ${String(took).padStart(4)} ms`);
  }
  if (event.taskFailedEventDetails || event.lambdaFunctionFailedEventDetails) {
    const details = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails!;
    print(`    ✗ ${details.error ?? "error"}: ${details.cause ?? ""} (retried or caught)`);
  }
}
