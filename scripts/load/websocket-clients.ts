/**
 * One process of the WebSocket load test (scripts/load/websocket-load.ts forks it): holds its share of
 * customer connections to the LiveApi, subscribes each to its reservation, and records every frame.
 * A process holds at most a few thousand sockets: the open-files limit is per process.
 *
 * Protocol over IPC. In: {kind:"start", url, assignments:[{token, reservationId}], connectConcurrency}
 * then {kind:"report"} and {kind:"close"}. Out: {kind:"connected", ...counts} once every connection
 * was tried, {kind:"progress", tickAt} when a new tick's first frame arrives, {kind:"report", ...}.
 */
import WebSocket from "ws";

interface Assignment {
  readonly token: string;
  readonly reservationId: string;
}

type Command =
  | { readonly kind: "start"; readonly url: string; readonly assignments: readonly Assignment[]; readonly connectConcurrency: number }
  | { readonly kind: "report" }
  | { readonly kind: "close" };

interface PositionFrame {
  readonly type: "position";
  readonly reservationId: string;
  readonly tickAt: string;
  readonly stale?: boolean;
}

const sockets: WebSocket[] = [];
/** Per connection: frames of type position received. */
let positionsPerConnection: number[] = [];
/** tickAt -> delays (ms) from the tick to each delivery in it. */
const delaysByTick = new Map<string, number[]>();
let connectFailures: string[] = [];
let subscribed = 0;
let subscribedWithPosition = 0;
let subscribeRefused = 0;
let wrongReservation = 0;
let staleFrames = 0;
let unexpectedCloses = 0;
let closing = false;

const send = (message: object) => process.send?.(message);

process.on("message", (command: Command) => {
  if (command.kind === "start") void start(command.url, command.assignments, command.connectConcurrency);
  if (command.kind === "report") send(report());
  if (command.kind === "close") {
    closing = true;
    for (const socket of sockets) socket.terminate();
    setTimeout(() => process.exit(0), 100);
  }
});

async function start(url: string, assignments: readonly Assignment[], concurrency: number): Promise<void> {
  positionsPerConnection = new Array(assignments.length).fill(0);
  connectFailures = [];
  let next = 0;
  const startedAt = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, assignments.length) }, async () => {
      while (next < assignments.length) {
        const index = next++;
        try {
          sockets[index] = await connect(url, index, assignments[index]!);
        } catch (error) {
          connectFailures.push((error as Error).message);
        }
      }
    }),
  );
  send({ kind: "connected", attempted: assignments.length, failed: connectFailures.length, seconds: (Date.now() - startedAt) / 1000, firstFailures: connectFailures.slice(0, 3) });
}

function connect(url: string, index: number, assignment: Assignment): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}?token=${assignment.token}`);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no subscription reply within 30 s"));
    }, 30_000);
    socket.once("unexpected-response", (_request, response) => {
      clearTimeout(timer);
      reject(new Error(`$connect answered ${response.statusCode}`));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("open", () => socket.send(JSON.stringify({ action: "subscribe", reservationId: assignment.reservationId })));
    socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString("utf8")) as { type?: string; reservationId?: string; position?: unknown };
      if (frame.type === "subscribed") {
        clearTimeout(timer);
        subscribed++;
        if (frame.position) subscribedWithPosition++;
        socket.removeAllListeners("error");
        socket.on("error", () => undefined);
        socket.on("close", () => {
          if (!closing) unexpectedCloses++;
        });
        resolve(socket);
      } else if (frame.type === "position") {
        receivePosition(index, assignment, frame as PositionFrame);
      } else if (frame.type === "error") {
        clearTimeout(timer);
        subscribeRefused++;
        socket.terminate();
        reject(new Error(`subscribe refused: ${JSON.stringify(frame).slice(0, 200)}`));
      }
    });
  });
}

function receivePosition(index: number, assignment: Assignment, frame: PositionFrame): void {
  const receivedAt = Date.now();
  if (frame.reservationId !== assignment.reservationId) {
    wrongReservation++;
    return;
  }
  positionsPerConnection[index]!++;
  if (frame.stale) staleFrames++;
  let delays = delaysByTick.get(frame.tickAt);
  if (!delays) {
    delays = [];
    delaysByTick.set(frame.tickAt, delays);
    send({ kind: "progress", tickAt: frame.tickAt });
  }
  delays.push(receivedAt - Date.parse(frame.tickAt));
}

function report() {
  return {
    kind: "report",
    connections: positionsPerConnection.length,
    connectFailures: connectFailures.length,
    subscribed,
    subscribedWithPosition,
    subscribeRefused,
    positionsPerConnection,
    delaysByTick: Object.fromEntries(delaysByTick),
    wrongReservation,
    staleFrames,
    unexpectedCloses,
  };
}
