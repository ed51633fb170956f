/**
 * The web app's `/config.json` for the local cloud, from its outputs: the same names a deployed
 * stage has, so the app finds its APIs the same way everywhere. The shape is the app's own
 * (packages/web/src/config-shape.ts); the Web stack's config deployment is typed against it too.
 */
import type { WebConfig } from "../../../web/src/config-shape.js";
import { localStage } from "../config.js";

export type { WebConfig };

/** The outputs the app needs, by the field of `WebConfig.apis` each one fills. */
const apiOutputs = {
  reservation: "ReservationApiUrl",
  query: "QueryApiUrl",
  notification: "NotificationApiUrl",
  tracking: "TrackingApiUrl",
  observability: "ObservabilityApiUrl",
  live: "LiveApiUrl",
} as const satisfies Record<keyof WebConfig["apis"], string>;

/** Throws naming the first missing output: a config.json without an API would only fail later, in the browser. */
export function webConfigFromOutputs(outputs: Readonly<Record<string, string>>): WebConfig {
  const output = (name: string): string => {
    const value = outputs[name];
    if (!value) throw new Error(`The local cloud has no ${name} output for the web app's config.json`);
    return value;
  };
  const apis = Object.fromEntries(Object.entries(apiOutputs).map(([field, name]) => [field, output(name)])) as unknown as WebConfig["apis"];
  return {
    stage: localStage,
    apis,
    // The local identity server's demo sign-in stands in for Cognito's hosted UI.
    auth: { kind: "local", issuer: output("IssuerUrl") },
    // No tiles locally (no internet): the bundled world geometry only.
    map: {},
  };
}
