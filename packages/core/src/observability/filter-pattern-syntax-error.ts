/**
 * A CloudWatch Logs filter pattern that cannot be compiled: malformed, or using syntax this matcher
 * does not implement. Raised at compile time, so a pattern never silently matches the wrong lines.
 */
export class FilterPatternSyntaxError extends Error {
  override readonly name = "FilterPatternSyntaxError";

  constructor(
    readonly pattern: string,
    /** Zero-based offset in `pattern` of the character at fault. */
    readonly position: number,
    readonly reason: string,
  ) {
    super(`Invalid filter pattern at position ${position}: ${reason} (pattern: ${JSON.stringify(pattern)})`);
  }
}
