/**
 * The log refiner: CloudWatch Logs invokes it with a subscription batch of one log group. It
 * decodes, refines and redacts the batch (packages/core/src/observability) and indexes the
 * documents into `api-logs`, each under its log event's id, so a retried batch stores nothing
 * twice. Malformed events are dropped and counted; an envelope that cannot be decoded, or
 * documents OpenSearch keeps refusing, fail the invocation, so the batch goes to the on-failure
 * destination instead of being lost. Its own log group is not subscribed: it never refines itself.
 * Metrics per batch: events indexed, dropped and not indexed, and whether the batch was unreadable.
 */
import type { CloudWatchLogsEvent, Context } from "aws-lambda";
import { indexLogEvents, type LogIndexReport } from "@haul/core/observability/log-index";
import { refineLogsEnvelope } from "@haul/core/observability/log-refiner";
import { getSearchClient } from "@haul/core/search/search-client";
import { instrument, logger, metrics, MetricUnit } from "../shared/powertools.js";

async function refineLogs(event: CloudWatchLogsEvent, _context: Context): Promise<LogIndexReport> {
  let report: LogIndexReport | undefined;
  try {
    report = await indexLogEvents(getSearchClient(), refineLogsEnvelope(event.awslogs.data));
    return summarize(report);
  } finally {
    // A batch that cannot be read counts too, so every invocation publishes.
    metrics.addMetric("LogEventsIndexed", MetricUnit.Count, report?.indexed ?? 0);
    metrics.addMetric("LogEventsDropped", MetricUnit.Count, report?.dropped ?? 0);
    metrics.addMetric("LogEventsNotIndexed", MetricUnit.Count, report?.failed ?? 0);
    metrics.addMetric("LogBatchesUnread", MetricUnit.Count, report ? 0 : 1);
  }
}

/** Logs what the batch came to; throws when documents could not be indexed, so the batch fails. */
function summarize(report: LogIndexReport): LogIndexReport {
  for (const dropped of report.droppedEvents) logger.warn("log event dropped", { ...dropped });
  const summary = { received: report.received, indexed: report.indexed, duplicates: report.duplicates, dropped: report.dropped, failed: report.failed, controlSkipped: report.controlSkipped };
  if (report.failed > 0) {
    logger.error("log events not indexed; the batch fails", { ...summary, failures: report.failures.slice(0, 5) });
    throw new Error(`${report.failed} of ${report.received} log events could not be indexed`);
  }
  logger.info("log batch refined", summary);
  return report;
}

export const handler = instrument(refineLogs);
