/**
 * One client connection of the local WebSocket gateway, with API Gateway's rules for it: nothing
 * can be posted to it until `$connect` has finished (`connecting`), it is closed after
 * `idleTimeoutMs` without a message and `maxConnectionMs` after it connected (1001 Going away),
 * and what is sent to it goes out in frames of at most `maxFrameBytes`, as API Gateway splits
 * @connections messages.
 */
import type { WebSocket } from "ws";
import type { AuthorizerFields, ConnectionFacts } from "./events.js";

export interface ConnectionLimits {
  readonly idleTimeoutMs: number;
  readonly maxConnectionMs: number;
  readonly maxFrameBytes: number;
}

export type ConnectionState = "connecting" | "open" | "closing" | "closed";

/** How a connection ended, as `$disconnect` reports it. */
export interface DisconnectStatus {
  readonly statusCode: number;
  readonly reason: string;
}

/** How long a closing handshake may take before the socket is dropped. */
const closeHandshakeMs = 1_000;

export class LocalConnection {
  state: ConnectionState = "connecting";
  /** Epoch milliseconds of the last message from the client or to it through @connections. */
  lastActiveAt: number;
  private socket: WebSocket | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private ageTimer: NodeJS.Timeout | undefined;
  /** Set when the gateway (not the client) ends the connection. */
  private closedByGateway: DisconnectStatus | undefined;

  constructor(
    readonly facts: ConnectionFacts,
    readonly authorizer: AuthorizerFields,
    private readonly limits: ConnectionLimits,
  ) {
    this.lastActiveAt = facts.connectedAt;
  }

  get id(): string {
    return this.facts.connectionId;
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** The upgrade completed: the connection takes messages and its clocks start. */
  open(socket: WebSocket): void {
    this.socket = socket;
    this.state = "open";
    this.lastActiveAt = Date.now();
    this.idleTimer = setTimeout(() => this.close(1001, "Going away"), this.limits.idleTimeoutMs).unref();
    const ageLeft = this.facts.connectedAt + this.limits.maxConnectionMs - Date.now();
    this.ageTimer = setTimeout(() => this.close(1001, "Going away"), Math.max(0, ageLeft)).unref();
  }

  /** A message came in or went out through @connections: the idle clock starts again. */
  markActive(): void {
    this.lastActiveAt = Date.now();
    this.idleTimer?.refresh();
  }

  /** Sends a text message, split into frames of at most `maxFrameBytes`. */
  send(message: string | Buffer): void {
    const socket = this.socket;
    if (!this.isOpen || !socket) return;
    const bytes = typeof message === "string" ? Buffer.from(message, "utf8") : message;
    if (bytes.length <= this.limits.maxFrameBytes) {
      socket.send(bytes, { binary: false });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += this.limits.maxFrameBytes) {
      const end = Math.min(offset + this.limits.maxFrameBytes, bytes.length);
      socket.send(bytes.subarray(offset, end), { binary: false, fin: end === bytes.length });
    }
  }

  /** The gateway ends the connection with `code`; `$disconnect` reports that code and reason. */
  close(code: number, reason: string): void {
    if (this.state !== "open" && this.state !== "connecting") return;
    this.closedByGateway = { statusCode: code, reason };
    this.state = "closing";
    this.stopClocks();
    const socket = this.socket;
    if (!socket) return;
    socket.close(code, reason);
    // A client that never answers the close frame does not hold the connection open.
    setTimeout(() => socket.terminate(), closeHandshakeMs).unref();
  }

  /** The gateway already reported this close to the client (ws ended it on a protocol error). */
  noteGatewayClose(status: DisconnectStatus): void {
    this.closedByGateway ??= status;
    if (this.state === "open") this.state = "closing";
  }

  /** The socket is gone; returns how the connection ended. */
  closed(clientCode: number, clientReason: string): DisconnectStatus {
    this.state = "closed";
    this.stopClocks();
    return this.closedByGateway ?? { statusCode: clientCode, reason: clientReason || defaultReason(clientCode) };
  }

  private stopClocks(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.ageTimer);
  }
}

function defaultReason(code: number): string {
  if (code === 1005) return "Client-side close frame status not set";
  if (code === 1006) return "Connection closed abnormally (no close frame)";
  return "";
}
