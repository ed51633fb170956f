/** GET /reservations/{id}/positions: the trail of a delivery, for its customer, its driver or an operator. */
import { InvalidInputError } from "@haul/core/errors";
import { Trail } from "@haul/core/tracking/trail";
import { trackingApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { httpHandler } from "../shared/http-handler.js";
import { HttpProblem } from "../shared/problem.js";

const route = trackingApi.routes["GET /reservations/{id}/positions"];
const contract = routeContracts["GET /reservations/{id}/positions"];

export const handler = httpHandler(
  { roles: route.roles, params: contract.request.params, query: contract.request.query },
  async ({ params, query, principal }) => {
    try {
      return { status: 200, body: await Trail.read(principal, params.id, query) };
    } catch (error) {
      // The domain cannot know the cursor came from the query string.
      if (error instanceof InvalidInputError && error.fields.some((field) => field.name === "cursor"))
        throw new HttpProblem(400, "Invalid request", "Some query fields are invalid.", [{ name: "query.cursor", reason: "is not a cursor of this trail" }]);
      throw error;
    }
  },
);
