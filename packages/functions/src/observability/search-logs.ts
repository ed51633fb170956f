/** GET /ops/logs: refined log events, newest first, filtered; operators only. */
import { InvalidInputError } from "@haul/core/errors";
import { searchLogs } from "@haul/core/observability/log-search";
import { getSearchClient } from "@haul/core/search/search-client";
import { observabilityApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { HttpProblem } from "../shared/problem.js";

const route = observabilityApi.routes["GET /ops/logs"];
const contract = routeContracts["GET /ops/logs"];

export const handler = httpHandler({ roles: route.roles, query: contract.request.query }, async ({ query }) => {
  try {
    return { status: 200, body: await searchLogs({ client: getSearchClient }, query) };
  } catch (error) {
    // The only input the domain judges here is the cursor, which came in the query string.
    if (error instanceof InvalidInputError) {
      throw new HttpProblem(400, "Invalid request", "Some query fields are invalid.", [
        { name: "query.cursor", reason: "was issued for another search (other filters), or is not a cursor this API issued" },
      ]);
    }
    throw error;
  }
});
