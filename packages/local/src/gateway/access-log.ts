/**
 * One JSON access log line per request, with the fields of SST v2's default HTTP API
 * access log format (sst/constructs/util/apiGatewayV2AccessLog.js), so local and cloud
 * logs read alike. Values API Gateway has not got are "-", as in its own logs.
 */
export interface AccessLogEntry {
  requestTime: string;
  requestId: string;
  httpMethod: string;
  path: string;
  routeKey: string;
  status: number;
  responseLatency: number;
  integrationRequestId: string;
  integrationStatus: string;
  integrationLatency: string;
  integrationServiceStatus: string;
  ip: string;
  userAgent: string;
}

export function formatAccessLogLine(entry: AccessLogEntry): string {
  return JSON.stringify(entry);
}
