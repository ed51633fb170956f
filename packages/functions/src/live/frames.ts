/**
 * The LiveApi's messages. Apps send JSON objects whose `action` picks the route (API Gateway's
 * route selection on `$request.body.action`); Haul answers with JSON objects whose `type` says
 * what they are.
 */
import { z } from "zod";
import { liveApi } from "../declarations.js";

/** The actions apps may send: every route of the LiveApi except API Gateway's own `$…` routes. */
export const knownActions: readonly string[] = Object.keys(liveApi.routes).filter((routeKey) => !routeKey.startsWith("$"));

/** Only `action` matters to routing; what else a message holds is its route's business. */
export const ActionMessage = z.looseObject({ action: z.string() });

export const pongFrame = { type: "pong" } as const;

export interface ErrorFrame {
  readonly type: "error";
  readonly message: string;
  readonly knownActions: readonly string[];
}

export function errorFrame(message: string): ErrorFrame {
  return { type: "error", message, knownActions };
}
