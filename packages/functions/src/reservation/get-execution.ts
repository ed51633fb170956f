/** GET /ops/executions/{name}: one workflow execution with its states and history; operators only. */
import { describeExecution } from "@haul/core/workflow/executions";
import { reservationApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { workflowSource } from "./workflow-source.js";

const route = reservationApi.routes["GET /ops/executions/{name}"];
const contract = routeContracts["GET /ops/executions/{name}"];

export const handler = httpHandler({ roles: route.roles, params: contract.request.params }, async ({ params }) => ({
  status: 200,
  body: await describeExecution(workflowSource(), params.name),
}));
