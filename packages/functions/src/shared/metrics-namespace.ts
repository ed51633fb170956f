/** The CloudWatch namespace of Haul's metrics (POWERTOOLS_METRICS_NAMESPACE); a module of its own so the stacks read it without loading Powertools. */
export const metricsNamespace = "Haul";
