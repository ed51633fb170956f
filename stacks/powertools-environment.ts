import { metricsNamespace } from "../packages/functions/src/shared/metrics-namespace.js";

/**
 * The Powertools variables of a function of `service` (its declaration's `service`): the `service`
 * of its log lines, metrics and traces, and the namespace of its metrics.
 */
export function powertoolsEnvironment(service: string): Record<string, string> {
  return { POWERTOOLS_SERVICE_NAME: service, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace };
}
