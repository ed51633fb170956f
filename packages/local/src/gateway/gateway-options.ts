/**
 * What every local API gateway, HTTP or WebSocket, is started with: where it listens, and how it
 * runs the API's functions as Lambda would.
 */
export interface GatewayOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Root that handler strings are relative to (the repository root). */
  readonly root: string;
  /** Prefix of function names, `<stage>-<app>` as SST names resources, e.g. "local-haul". */
  readonly resourcePrefix: string;
  readonly region?: string;
  readonly accountId?: string;
  /** SST's defaults: 10 s and 1024 MB. */
  readonly functionTimeoutSeconds?: number;
  readonly functionMemorySizeMb?: number;
  /** Receives handler failures (what CloudWatch would show); default: stderr. */
  readonly errorLog?: (message: string) => void;
}
