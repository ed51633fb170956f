/**
 * The app's run-time configuration, `/config.json` next to index.html: the local cloud writes it
 * from `.haul/outputs.json` (packages/local/src/web), the Web stack from the stage's outputs. One
 * build then serves every stage.
 */
import type { WebConfig } from "./config-shape.js";

export type { CognitoAuthConfig, LocalAuthConfig, WebConfig } from "./config-shape.js";

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
