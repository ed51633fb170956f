/**
 * EventBridge rate expressions, `rate(<value> <unit>)`: a positive whole value and minute(s),
 * hour(s) or day(s), singular for 1 and plural otherwise, as EventBridge requires. Cron expressions
 * need a calendar the local scheduler does not have: a scheduled function declared with one must
 * be given a period locally.
 */
const unitMs = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The period of a `rate(...)` expression in milliseconds; throws for anything else. */
export function ratePeriodMs(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) throw new Error(`"${expression}" is not a rate expression like rate(1 minute) or rate(5 minutes); give the local scheduler a period`);
  const value = Number(match[1]);
  const unit = match[2]!;
  const singular = unit.replace(/s$/, "") as keyof typeof unitMs;
  if (value < 1) throw new Error(`"${expression}": the value must be a positive whole number`);
  if ((value === 1) !== (unit === singular)) throw new Error(`"${expression}": EventBridge wants "1 ${singular}" and "${value === 1 ? 2 : value} ${singular}s"`);
  return value * unitMs[singular];
}
