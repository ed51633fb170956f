/** GET /ops/logs/stats: per-route request statistics over a time window; operators only. */
import { InvalidInputError } from "@haul/core/errors";
import { requestStats } from "@haul/core/observability/log-stats";
import { getSearchClient } from "@haul/core/search/search-client";
import { observabilityApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { HttpProblem } from "../shared/problem.js";

const route = observabilityApi.routes["GET /ops/logs/stats"];
const contract = routeContracts["GET /ops/logs/stats"];

export const handler = httpHandler({ roles: route.roles, query: contract.request.query }, async ({ query }) => {
  try {
    return { status: 200, body: await requestStats({ client: getSearchClient }, query) };
  } catch (error) {
    // The window and interval the domain refuses (too long, too many buckets) came in the query string.
    if (error instanceof InvalidInputError) {
      throw new HttpProblem(400, "Invalid request", error.message, error.fields.map((field) => ({ ...field, name: `query.${field.name}` })));
    }
    throw error;
  }
});
