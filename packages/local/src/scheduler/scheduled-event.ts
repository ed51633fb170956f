/**
 * The event EventBridge gives a rule's Lambda target on schedule: the "Scheduled Event" of source
 * `aws.events`, its `time` the scheduled time in UTC to the second, the rule's ARN as the one
 * resource and an empty `detail`.
 */
import { randomUUID } from "node:crypto";
import type { ScheduledEvent } from "aws-lambda";

export interface ScheduledEventSource {
  readonly ruleName: string;
  readonly region: string;
  readonly accountId: string;
}

export function scheduledEvent(source: ScheduledEventSource, time: Date): ScheduledEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: source.accountId,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: source.region,
    resources: [`arn:aws:events:${source.region}:${source.accountId}:rule/${source.ruleName}`],
    detail: {},
  };
}
