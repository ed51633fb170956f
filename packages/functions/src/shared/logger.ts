import { LogFormatter, LogItem, Logger } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import { currentServiceName } from "./invocation-service.js";

/** The service of a line when neither the local cloud nor POWERTOOLS_SERVICE_NAME names one. */
export const defaultServiceName = "haul";

/** The service an invocation runs as: the local cloud's name for it, else the function's variable. */
export function serviceName(): string {
  return currentServiceName() ?? process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName;
}

/**
 * Powertools' default line, keys and order alike, with `service` taken per line: the local cloud
 * runs every function in one process and names each invocation's service (invocation-service.ts);
 * in AWS it names none and the function's POWERTOOLS_SERVICE_NAME stands. It extends LogFormatter,
 * the documented extension point: 2.35.0 does not export PowertoolsLogFormatter itself.
 */
export class InvocationServiceLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: currentServiceName() ?? attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        tenant_id: context?.tenantId,
      },
    }).addAttributes(additionalLogAttributes);
  }
}

/** The one logger every handler shares, so every line carries the same keys (service, correlation id). */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName,
  logFormatter: new InvocationServiceLogFormatter(),
});
