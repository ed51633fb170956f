/**
 * Where the local cloud listens and keeps its state. One place, so the CLI, the tests
 * and the scripts agree on ports and paths without importing the running services.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root: this file lives at packages/local/src/config.ts. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Everything the local cloud keeps lives here (gitignored); HAUL_DATA_DIR moves it. */
export const defaultHaulDir = process.env.HAUL_DATA_DIR ?? path.join(repoRoot, ".haul");

/** The stage name the local cloud plays, as `sst deploy --stage local` would. */
export const localStage = "local";

/** SST names stacks `<stage>-<app>-<Stack>`; the app is `haul`. */
export const appName = "haul";

export const localHost = process.env.HAUL_LOCAL_HOST ?? "127.0.0.1";

/** The local cloud's ports are consecutive from HAUL_LOCAL_PORT_BASE, so a second copy can run beside the first. */
const portBase = Number(process.env.HAUL_LOCAL_PORT_BASE ?? 4000);

/** Fixed ports of the local cloud; 0 asks the OS for a free one (tests). */
export const defaultPorts = {
  reservationApi: portBase,
  queryApi: portBase + 1,
  identity: portBase + 2,
  dynamodb: portBase + 3,
  stepFunctions: portBase + 4,
  /** The LiveApi WebSocket gateway; its @connections API is on the same port. */
  liveApi: portBase + 5,
  /** The NotificationApi (the drivers' message history), an HTTP API of its own. */
  notificationApi: portBase + 6,
  /** The TrackingApi (drivers' fixes in, trails and the fleet out), an HTTP API of its own. */
  trackingApi: portBase + 7,
  /** kinesalite, the driver-positions stream. */
  kinesis: portBase + 8,
  /** The ObservabilityApi (operators' log search and request statistics), an HTTP API of its own. */
  observabilityApi: portBase + 9,
  /** The web app (the StaticSite's stand-in); the APIs allow exactly its origins. */
  web: portBase + 10,
} as const;

export type LocalPorts = { -readonly [K in keyof typeof defaultPorts]: number };

/** The audience (Cognito app client id) local tokens are minted for and checked against. */
export const localAudience = "haul-local-client";

/** The issuer URL the identity service has at its default address. */
export function defaultIssuerUrl(host: string = localHost, port: number = defaultPorts.identity): string {
  return `http://${host}:${port}`;
}

export function identityDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "identity");
}

export function dynamodbDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "dynamodb");
}

export function kinesisDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "kinesis");
}

/** The Firehose stand-in's shard checkpoints. */
export function firehoseDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "firehose");
}

/** Documents Firehose could not index, as it writes them to its S3 backup bucket. */
export function firehoseBackupDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "firehose-backup");
}

export function logsDir(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "logs");
}

/** The web app's build output, served by the static site. */
export const webDistDir = path.join(repoRoot, "packages", "web", "dist");

export function outputsFile(haulDir: string = defaultHaulDir): string {
  return path.join(haulDir, "outputs.json");
}
