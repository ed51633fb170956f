/**
 * In AWS each function has its own POWERTOOLS_SERVICE_NAME. The local cloud runs every function in
 * one process, so it names the service of each invocation here instead (packages/local's function
 * runner), and the shared logger and metrics read it before falling back to the variable.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const invocationService = new AsyncLocalStorage<string>();

/** Runs `work` (and everything it starts) as an invocation of a function of `service`. */
export function runAsService<T>(service: string, work: () => T): T {
  return invocationService.run(service, work);
}

/** The service of the invocation running now, when the local cloud named one. */
export function currentServiceName(): string | undefined {
  return invocationService.getStore();
}
