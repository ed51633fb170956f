/**
 * The shape of the app's run-time `/config.json`, apart from the code that loads it: types only,
 * so the local cloud (packages/local/src/web/web-config.ts) and the Web stacks (stacks/WebConfig.ts)
 * type what they write against it without compiling the browser code.
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
