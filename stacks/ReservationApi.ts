import { use, type StackContext } from "sst/constructs";
import { reservationApi } from "../packages/functions/src/declarations.js";
import { Observability } from "./Observability.js";
import { createServiceHttpApi } from "./service-http-api.js";
import { Workflow } from "./Workflow.js";

/** The write side: reservations are accepted here and carried out by the workflow. */
export function ReservationApi(context: StackContext) {
  const workflow = use(Workflow);
  const { api } = createServiceHttpApi(context, reservationApi, {
    reservationWorkflow: workflow.stateMachine,
    logRefiner: use(Observability).refiner,
  });
  return { api };
}
