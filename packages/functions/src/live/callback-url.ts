/**
 * The variable that gives a pushing function the LiveApi's @connections endpoint (the API's
 * `LiveApiCallbackUrl`: `https://<api id>.execute-api.<region>.amazonaws.com/<stage>`, or the local
 * gateway's). A module of its own, free of side effects, so the local cloud can set it without
 * loading a handler module (which would build the shared logger before the log level is chosen).
 */
export const callbackUrlVariable = "HAUL_LIVE_API_CALLBACK_URL";
