/**
 * The app's one connection to the LiveApi (API Gateway WebSocket API): the token in the query
 * string as the authorizer expects, JSON frames by `type`, a ping every 5 minutes (the API closes
 * idle connections after 10), and reconnection with backoff when the connection drops, re-sending
 * the subscriptions it held. Used by customers (status changes, positions) and drivers (messages).
 */
export interface LiveFrame {
  readonly type: string;
  readonly [key: string]: unknown;
}

export type LiveState = "connecting" | "open" | "closed";

export interface LiveSocketOptions {
  readonly url: string;
  readonly token: () => string | undefined;
  readonly onFrame: (frame: LiveFrame) => void;
  readonly onState?: (state: LiveState) => void;
  /** Test seam; default the browser's WebSocket. */
  readonly createSocket?: (url: string) => WebSocket;
}

const pingEveryMs = 5 * 60_000;
const maxBackoffMs = 30_000;

export class LiveSocket {
  private socket: WebSocket | undefined;
  private readonly subscriptions = new Set<string>();
  private attempts = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closedByApp = false;

  constructor(private readonly options: LiveSocketOptions) {}

  open(): void {
    this.closedByApp = false;
    const token = this.options.token();
    if (!token) return;
    const url = new URL(this.options.url);
    url.searchParams.set("token", token);
    this.options.onState?.("connecting");
    const socket = (this.options.createSocket ?? ((target) => new WebSocket(target)))(url.toString());
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.options.onState?.("open");
      for (const reservationId of this.subscriptions) this.send({ action: "subscribe", reservationId });
      this.pingTimer = setInterval(() => this.send({ action: "ping" }), pingEveryMs);
    };
    socket.onmessage = (event) => {
      try {
        const frame = JSON.parse(String(event.data)) as LiveFrame;
        if (frame && typeof frame.type === "string") this.options.onFrame(frame);
      } catch {
        // Not JSON: nothing the app understands.
      }
    };
    socket.onclose = () => {
      clearInterval(this.pingTimer);
      this.options.onState?.("closed");
      if (this.closedByApp) return;
      const delay = Math.min(maxBackoffMs, 1000 * 2 ** this.attempts++);
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }

  subscribe(reservationId: string): void {
    this.subscriptions.add(reservationId);
    this.send({ action: "subscribe", reservationId });
  }

  unsubscribe(reservationId: string): void {
    this.subscriptions.delete(reservationId);
    this.send({ action: "unsubscribe", reservationId });
  }

  close(): void {
    this.closedByApp = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    this.socket?.close(1000);
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
