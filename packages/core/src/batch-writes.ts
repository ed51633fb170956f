/**
 * What every "write a batch, resend only what failed" helper shares (OpenSearch bulk, Kinesis
 * PutRecords): cutting items into requests under a count and a byte limit, and the wait between tries.
 */

/** Positions cut into requests of at most `maxItems` items and `maxBytes` (a bigger item goes alone), in order. */
export function chunkPositions(
  positions: readonly number[],
  sizeOf: (position: number) => number,
  limits: { readonly maxItems: number; readonly maxBytes: number },
): number[][] {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const position of positions) {
    const size = sizeOf(position);
    if (current.length > 0 && (current.length >= limits.maxItems || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(position);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Capped exponential backoff, half fixed and half random: at least half the ceiling, and concurrent writers spread out. */
export function backoffMs(attempt: number, settings: { readonly baseDelayMs: number; readonly maxDelayMs: number }): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
