import { use, type StackContext } from "sst/constructs";
import { queryApi } from "../packages/functions/src/declarations.js";
import { Observability } from "./Observability.js";
import { createServiceHttpApi } from "./service-http-api.js";

/**
 * The read side, deployed and scaled apart from the write side: its own HTTP API whose functions
 * read the replica (and the primary, for ids the replica lacks yet) as the read-only user
 * haul_reader, through the Redis cache. It gets no workflow and no admin secret (asserted in
 * stacks/test/app.test.ts): only what the declaration's `uses` name.
 */
export function QueryApi(context: StackContext) {
  const { api } = createServiceHttpApi(context, queryApi, { logRefiner: use(Observability).refiner });
  return { api };
}
