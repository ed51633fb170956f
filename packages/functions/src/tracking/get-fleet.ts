/** GET /ops/fleet: every truck in transit with its latest position; operators only. */
import { Fleet } from "@haul/core/tracking/fleet";
import { trackingApi } from "../declarations.js";
import { httpHandler } from "../shared/http-handler.js";

const route = trackingApi.routes["GET /ops/fleet"];

export const handler = httpHandler({ roles: route.roles }, async () => ({ status: 200, body: await Fleet.inTransit() }));
