/**
 * POST /positions: a batch of the calling driver's GPS fixes into the positions stream. The driver
 * is the caller (never the body), and is the partition key, so one driver's fixes share a shard.
 * Each record is the fix's canonical JSON (recordedAt in UTC with milliseconds), which the
 * driver-positions pipeline indexes under the id (driver, recordedAt).
 *
 * 202 `{accepted: n}` only once every record is in the stream. When some record could not be
 * written even after putRecordsReliably's retries, the answer is 503 with Retry-After and no
 * count: the client sends the whole batch again, which is safe, since a fix written twice is
 * stored once.
 */
import { Fix } from "@haul/core/tracking/fix";
import { trackingApi } from "../declarations.js";
import { routeContracts } from "../route-contracts.js";
import { getKinesisClient } from "../shared/aws-clients.js";
import { httpHandler } from "../shared/http-handler.js";
import { logger } from "../shared/logger.js";
import { problem } from "../shared/problem.js";
import { putRecordsReliably } from "./put-positions.js";

export const streamNameVariable = "HAUL_POSITIONS_STREAM_NAME";
/** Seconds a client waits before sending a refused batch again. */
export const retryAfterSeconds = 2;

const route = trackingApi.routes["POST /positions"];
const contract = routeContracts["POST /positions"];

export const handler = httpHandler({ roles: route.roles, body: contract.request.body }, async ({ body, principal }) => {
  const driverId = principal.userId.toLowerCase();
  const records = Fix.toStreamFixes(driverId, body).map((fix) => ({ partitionKey: driverId, data: Buffer.from(JSON.stringify(fix)) }));
  const report = await putRecordsReliably(getKinesisClient(), { streamName: streamName(), records });
  if (report.failed.length === 0) return { status: 202, body: { accepted: report.written } };

  logger.warn("fixes not written to the stream; the batch is refused", {
    driverId,
    fixes: records.length,
    notWritten: report.failed.length,
    errorCodes: [...new Set(report.failed.map((failure) => failure.errorCode))],
  });
  return {
    status: 503,
    headers: { "content-type": "application/problem+json", "retry-after": String(retryAfterSeconds) },
    body: problem(503, "Service unavailable", `The positions stream did not take every fix. Send the whole batch again in ${retryAfterSeconds} s: fixes already written are stored once.`),
  };
});

function streamName(): string {
  const name = process.env[streamNameVariable];
  if (!name) throw new Error(`${streamNameVariable} is not set: fixes cannot be written`);
  return name;
}
