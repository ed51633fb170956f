/** GET /ops/executions: the reservation workflow's executions, newest first; operators only. */
import { InvalidInputError } from "@haul/core/errors";
import { listExecutions } from "@haul/core/workflow/executions";
import { reservationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { HttpProblem } from "../shared/problem.js";
import { workflowSource } from "./workflow-source.js";

const route = reservationApi.routes["GET /ops/executions"];
const contract = routeContracts["GET /ops/executions"];

export const handler = httpHandler({ roles: route.roles, query: contract.request.query }, async ({ query }) => {
  try {
    return { status: 200, body: await listExecutions(workflowSource(), query) };
  } catch (error) {
    // The only input judged past the schema is the cursor, which came in the query string.
    if (error instanceof InvalidInputError) {
      throw new HttpProblem(400, "Invalid request", error.message, error.fields.map((field) => ({ ...field, name: `query.${field.name}` })));
    }
    throw error;
  }
});
