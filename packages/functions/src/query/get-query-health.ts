import { Health } from "@haul/core/health";
import { httpHandler } from "../shared/http-handler.js";

/** The query service's liveness, probed as the read-only user it runs as; it does not use OpenSearch. */
export const handler = httpHandler({}, async () => {
  const report = await Health.check({ as: "reader" });
  return { status: report.healthy ? 200 : 503, body: report };
});
