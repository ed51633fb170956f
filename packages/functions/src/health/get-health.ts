import { Health } from "@haul/core/health";
import { httpHandler } from "../shared/http-handler.js";

/** Public liveness: 200 when every dependency answers, 503 naming the ones that do not. */
export const handler = httpHandler({}, async () => {
  const report = await Health.check();
  return { status: report.healthy ? 200 : 503, body: report };
});
