import { checkQueryHealth } from "@haul/core/query/query-health";
import { httpHandler } from "../shared/http-handler.js";
import { getReplicaRouter } from "./queries.js";

/**
 * The query service's liveness, probed as the read-only user it runs as; it does not use OpenSearch.
 * A replica down or lagging is 200 with `degraded` and `reads` saying that reads go to the primary.
 */
export const handler = httpHandler({}, async () => {
  const report = await checkQueryHealth(getReplicaRouter());
  return { status: report.healthy ? 200 : 503, body: report };
});
