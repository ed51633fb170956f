/**
 * The Powertools clients every handler shares (logger, metrics, tracer), and the one middleware
 * stack that puts them on a handler, in the order Powertools' documentation gives.
 *
 * Metrics: EMF lines on stdout, namespace POWERTOOLS_METRICS_NAMESPACE ("Haul"). Their `service`
 * dimension is set once per process: Metrics takes no per-invocation default dimensions without
 * racing concurrent invocations, so locally, where every function shares one process, it is the
 * process's (POWERTOOLS_SERVICE_NAME or "haul"); in AWS it is the function's service.
 * Every wrapped handler adds its own metrics on every invocation, so there is always something to
 * publish (metricsNotices covers the one exception, local concurrency).
 *
 * Tracer: active tracing in AWS; outside Lambda (no AWS_EXECUTION_ENV) it disables itself and
 * prints nothing.
 */
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import type { Context } from "aws-lambda";
import { defaultServiceName, logger } from "./logger.js";
import { metricsNamespace } from "./metrics-namespace.js";

export { logger } from "./logger.js";
export { MetricUnit } from "@aws-lambda-powertools/metrics";

type MetricsLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>["logger"]>;

/** How Metrics' notice that its store is empty begins (Metrics.publishStoredMetrics). */
const emptyStoreNotice = "No application metrics to publish";

/**
 * Metrics' own notices (its `logger` option), as lines of the shared logger. The empty-store one
 * is DEBUG: every handler adds metrics on every invocation, so an empty store only means that a
 * concurrent invocation sharing this process's store (the local cloud runs every function in one
 * process) has already published them. In Lambda a process runs one invocation at a time.
 */
const metricsNotices: MetricsLogger = {
  debug: (...content: unknown[]) => logger.debug(content.map(String).join(" ")),
  info: (...content: unknown[]) => logger.info(content.map(String).join(" ")),
  warn: (...content: unknown[]) => {
    const text = content.map(String).join(" ");
    if (text.startsWith(emptyStoreNotice)) logger.debug(text);
    else logger.warn(text);
  },
  error: (...content: unknown[]) => logger.error(content.map(String).join(" ")),
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName,
  logger: metricsNotices,
});

export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName });

export interface InstrumentOptions {
  /** False for handlers whose event holds a secret (a token): never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says. */
  readonly logEvent?: false;
}

/**
 * `handle` as a middy handler with tracing, metrics (and the cold-start metric) and the logger's
 * Lambda context; the logger's keys are reset after each invocation. Responses are not put in the
 * traces: they hold personal data (addresses, messages); errors and timings are.
 */
export function instrument<Event, Result>(handle: (event: Event, context: Context) => Promise<Result>, options: InstrumentOptions = {}) {
  return middy(handle)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(injectLambdaContext(logger, { resetKeys: true, ...options }));
}
