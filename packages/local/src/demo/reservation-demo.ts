/**
 * The start-up demo: a seeded customer reserves a truck through the local gateway, and the demo
 * follows the execution through the local Step Functions API, state by state, as an operator would.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  type HistoryEvent,
} from "@aws-sdk/client-sfn";
import { demoPeopleWithRole } from "@haul/core/identity/demo-people";
import { mintToken } from "../identity/mint-token.js";

export interface DemoEndpoints {
  readonly reservationApiUrl: string;
  readonly stepFunctionsEndpoint: string;
  readonly stateMachineArn: string;
}

const hour = 3_600_000;

/** Runs the demo and resolves with the reservation's final status; writes progress with `print`. */
export async function runReservationDemo(
  endpoints: DemoEndpoints,
  print: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): Promise<string> {
  const customer = demoPeopleWithRole("customer")[0]!;
  const drivers = demoPeopleWithRole("driver");
  const driver = drivers[Math.floor(Math.random() * drivers.length)]!;
  // A two-hour window on a random whole hour in the next month: earlier demo runs rarely collide.
  const start = new Date(Math.ceil(Date.now() / hour) * hour + (24 + Math.floor(Math.random() * 720)) * hour);
  const end = new Date(start.getTime() + 2 * hour);
  const token = await mintToken({ role: "customer", sub: customer.id });

  print(`Demo: ${customer.name} (customer) reserves ${driver.name}'s ${driver.truck!.class} truck ${driver.truck!.plate}`);
  print(`      ${start.toISOString()} -> ${end.toISOString()}, 800 kg of machine parts`);
  const response = await fetch(`${endpoints.reservationApiUrl}/reservations`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": `demo-${start.getTime()}-${driver.id}`,
    },
    body: JSON.stringify({
      driverId: driver.id,
      pickup: { lat: 52.5208, lon: 13.4094, address: "Alexanderplatz 1, Berlin" },
      dropoff: { lat: 52.3906, lon: 13.0645, address: "Am Neuen Markt 1, Potsdam" },
      window: { start: start.toISOString(), end: end.toISOString() },
      cargo: { weightKg: 800, description: "Machine parts on two pallets" },
    }),
  });
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
  print(`  Inspect it: aws stepfunctions get-execution-history --endpoint-url ${endpoints.stepFunctionsEndpoint} --execution-arn ${executionArn}`);
  sfn.destroy();
  return status;
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
