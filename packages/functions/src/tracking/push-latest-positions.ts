/**
 * The one-minute push (EventBridge `rate(1 minute)`; locally the scheduler runs this handler).
 * Coordinator: PositionPush.plan makes the tick's targets with one OpenSearch query. Worker:
 * `pushTargets` posts each connection its frame through the @connections API, at most
 * HAUL_PUSH_CONCURRENCY (default 50) in flight over all the tick's connections. A connection
 * that is gone (410) loses its item and its subscriptions; other failures are counted and logged,
 * never thrown out of the tick. Scaling past one invocation means handing slices of the targets to
 * several workers (README, "Live tracking and the truck simulator": how the push scales past one invocation).
 *
 * Idempotent: the frames depend on the event's scheduled `time` and the stored state, so the same
 * event delivered twice pushes the same frames twice, which apps take as one.
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { Subscription } from "@haul/core/live/subscription";
import { PositionPush, type PushTarget } from "@haul/core/tracking/position-push";
import { instrument, logger, metrics, MetricUnit } from "../shared/powertools.js";
import { encode, pushEach, type PushOptions } from "../live/push-to-connections.js";

export const concurrencyVariable = "HAUL_PUSH_CONCURRENCY";
export const defaultConcurrency = 50;

export interface TickSummary {
  readonly tickAt: string;
  readonly connections: number;
  readonly drivers: number;
  readonly targets: number;
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
  readonly durationMs: number;
}

export interface WorkerOutcome {
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
}

/** The worker: pushes a batch of targets; gone connections lose their subscriptions too. */
export async function pushTargets(targets: readonly PushTarget[], options: PushOptions = {}): Promise<WorkerOutcome> {
  // Frames of one reservation are one encoding shared by its viewers.
  const encoded = new Map<object, Uint8Array>();
  const deliveries = targets.map(({ connectionId, frame }) => {
    let data = encoded.get(frame);
    if (!data) encoded.set(frame, (data = encode(frame)));
    return { connectionId, data };
  });
  const outcome = await pushEach(deliveries, options);
  for (const connectionId of outcome.gone) {
    try {
      await Subscription.removeConnection(connectionId);
    } catch (error) {
      logger.warn("could not delete the subscriptions of a gone connection; they expire with it", { connectionId, error: error as Error });
    }
  }
  for (const { connectionId, error } of outcome.failed) logger.warn("position push failed", { connectionId, error });
  return { delivered: outcome.delivered.length, gone: outcome.gone.length, failed: outcome.failed.length };
}

/** One tick: plan, push, and one summary line. */
export async function runTick(tickAt: Date, options: PushOptions = {}): Promise<TickSummary> {
  const started = performance.now();
  const plan = await PositionPush.plan(tickAt);
  const outcome = await pushTargets(plan.targets, { concurrency: concurrency(), ...options });
  const summary: TickSummary = {
    tickAt: plan.tickAt,
    connections: plan.connections,
    drivers: plan.drivers,
    targets: plan.targets.length,
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  };
  logger.info("position push tick", { ...summary });
  return summary;
}

async function pushLatestPositions(event: ScheduledEvent, _context: Context): Promise<TickSummary> {
  logger.setCorrelationId(event.id);
  // The scheduled time, not the clock: a repeated event makes the same frames.
  const scheduled = Date.parse(event.time);
  let summary: TickSummary | undefined;
  try {
    summary = await runTick(Number.isNaN(scheduled) ? new Date() : new Date(scheduled));
    return summary;
  } finally {
    // A failed tick counts too, so every invocation publishes.
    metrics.addMetric("PositionsPushed", MetricUnit.Count, summary?.delivered ?? 0);
    metrics.addMetric("PositionPushFailures", MetricUnit.Count, summary?.failed ?? 0);
    metrics.addMetric("PushTickFailures", MetricUnit.Count, summary ? 0 : 1);
  }
}

export const handler = instrument(pushLatestPositions);

function concurrency(): number {
  const given = Number(process.env[concurrencyVariable]);
  return Number.isInteger(given) && given > 0 ? given : defaultConcurrency;
}
