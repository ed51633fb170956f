/**
 * CloudWatch Logs filter patterns (the `filterPattern` of a subscription filter), compiled into a
 * matcher with the semantics CloudWatch Logs documents, so the local cloud applies the very
 * pattern strings the stacks give their subscription filters.
 *
 * Supported:
 *  - the empty (or all-blank) pattern, which matches every event;
 *  - term patterns for unstructured events: `ERROR Exception`, `"quoted phrase"`, `-term`,
 *    `?term ?term`, `?term term ?term term` groups (filter-pattern-terms.ts);
 *  - JSON patterns: `{ $.level = "ERROR" }`, `{ $.f = * }`, `*` prefix/suffix wildcards, `!=`,
 *    `<`, `<=`, `>`, `>=`, `=` and `!=` on numbers, `IS NULL`, `IS TRUE`, `IS FALSE`,
 *    `NOT EXISTS`, nested paths `$.a.b`, array indexes `$.a[0]`, `&&` and `||` with parentheses
 *    (grammar in filter-pattern-json-syntax.ts, semantics in filter-pattern-json.ts).
 *
 * Not supported, refused at compile time with a FilterPatternSyntaxError (never a silent match):
 * space-delimited patterns (`[ip, user, …]`), regular expressions (`%…%`), wildcards and quoted
 * keys in JSON selectors (`$.*`, `$.a[*]`, `$.['a']`), and term combinations AWS does not
 * document (plain terms before the first `?term`, `-term` together with `?term`).
 */
import { compileJsonExpression } from "./filter-pattern-json.js";
import { parseJsonPattern } from "./filter-pattern-json-syntax.js";
import { FilterPatternSyntaxError } from "./filter-pattern-syntax-error.js";
import { compileTermPattern } from "./filter-pattern-terms.js";

export { FilterPatternSyntaxError } from "./filter-pattern-syntax-error.js";

/** Whether one log event's message is selected by the pattern it was compiled from. */
export type LogEventMatcher = (message: string) => boolean;

/** Compiles `pattern` once; the matcher it returns is pure. Throws FilterPatternSyntaxError. */
export function compileFilterPattern(pattern: string): LogEventMatcher {
  const start = pattern.search(/\S/);
  if (start === -1) return () => true;
  if (pattern[start] === "{") return compileJsonExpression(parseJsonPattern(pattern));
  if (pattern[start] === "[") {
    throw new FilterPatternSyntaxError(pattern, start, "space-delimited patterns ([field, …]) are not supported");
  }
  return compileTermPattern(pattern);
}
