/**
 * The app's run-time configuration, `/config.json` next to index.html: the local cloud writes it
 * from `.haul/outputs.json` (packages/local/src/web), the Web stack from the stage's outputs. One
 * build then serves every stage.
 */
export interface WebConfig {
  readonly stage: string;
  readonly apis: {
    readonly reservation: string;
    readonly query: string;
    readonly notification: string;
    readonly tracking: string;
    readonly observability: string;
    /** The LiveApi's `wss://…/<stage>` (locally `ws://`). */
    readonly live: string;
  };
  readonly auth: LocalAuthConfig | CognitoAuthConfig;
  /** The base map: the bundled world geometry always; tiles on top when a URL is configured (AWS). */
  readonly map: {
    /** e.g. an Amazon Location Service map's tile URL template; none locally (no internet). */
    readonly tileUrl?: string;
    readonly attribution?: string;
  };
}

/** The local cloud's demo sign-in: the identity server lists the seeded people and mints their tokens. */
export interface LocalAuthConfig {
  readonly kind: "local";
  /** The local identity server, e.g. http://127.0.0.1:4002 (`GET /demo/people`, `POST /demo/tokens`). */
  readonly issuer: string;
}

/** Cognito's hosted UI (authorization code with PKCE). */
export interface CognitoAuthConfig {
  readonly kind: "cognito";
  /** The hosted UI's domain, e.g. https://haul-prod.auth.eu-west-1.amazoncognito.com */
  readonly domain: string;
  readonly clientId: string;
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<WebConfig> {
  const response = await fetchImpl("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}: the app is served without its configuration`);
  return parseConfig(await response.json());
}

/** Checks the shape, naming the first missing field, so a broken deploy says what is wrong. */
export function parseConfig(value: unknown): WebConfig {
  const config = value as Partial<WebConfig> | null;
  const need = (ok: unknown, field: string) => {
    if (!ok) throw new Error(`/config.json has no ${field}`);
  };
  need(config && typeof config === "object", "object");
  need(typeof config!.stage === "string", "stage");
  for (const api of ["reservation", "query", "notification", "tracking", "observability", "live"] as const) {
    need(typeof config!.apis?.[api] === "string", `apis.${api}`);
  }
  const auth = config!.auth;
  need(auth && (auth.kind === "local" ? typeof auth.issuer === "string" : auth.kind === "cognito" && typeof auth.domain === "string" && typeof auth.clientId === "string"), "auth");
  return { ...(config as WebConfig), map: config!.map ?? {} };
}
