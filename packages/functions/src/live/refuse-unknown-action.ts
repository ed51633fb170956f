/**
 * `$default`: every message no route takes, i.e. not JSON, without an `action`, or with an action
 * no route has. Answers an error frame that says which and lists the actions there are.
 */
import { webSocketHandler } from "../shared/websocket-handler.js";
import { ActionMessage, errorFrame } from "./frames.js";

export const handler = webSocketHandler(async ({ body }) => ({ body: errorFrame(whatIsWrong(body ?? "")) }));

function whatIsWrong(body: string): string {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return 'messages must be JSON objects with an "action", e.g. {"action":"ping"}';
  }
  const parsed = ActionMessage.safeParse(message);
  if (!parsed.success) return 'the message has no "action" (a string)';
  // The action is the sender's own text: quoted as JSON, and cut short so the frame stays small.
  return `unknown action ${JSON.stringify(parsed.data.action.slice(0, 64))}`;
}
