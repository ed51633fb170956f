import { Logger } from "@aws-lambda-powertools/logger";

/** The one logger every handler shares, so every line carries the same keys (service, correlation id). */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "haul",
});
