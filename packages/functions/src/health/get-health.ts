import { Health } from "@haul/core/health";
import { httpHandler } from "../shared/http-handler.js";

/**
 * Public liveness of the reservation API: 200 when every dependency answers, 503 naming the ones
 * that do not. OpenSearch is one of them (driver messages and logs go there).
 */
export const handler = httpHandler({}, async () => {
  const report = await Health.check({ opensearch: true });
  return { status: report.healthy ? 200 : 503, body: report };
});
