/**
 * Term patterns for unstructured log events, as CloudWatch Logs documents them:
 *  - `ERROR Exception`: every term must occur in the message (case-sensitive substring, so `ERROR`
 *    also matches `ERRORCODE`);
 *  - `"Task timed out"`: a quoted phrase is one term; a term with characters other than letters,
 *    digits and `_` must be quoted;
 *  - `ERROR -Exiting`: a term with `-` must not occur;
 *  - `?ERROR ?WARN`: any of the `?` terms. A `?term` followed by plain terms forms one group
 *    that must all occur (`?ERROR MainThread ?WARN Deadlock`), as aws-cdk's
 *    `FilterPattern.anyTermGroup` renders term groups;
 *  - `" "` (a quoted phrase of only spaces) matches every event.
 * Not supported, and refused at compile time: plain terms before the first `?term`, and `-term`
 * exclusions in a pattern with `?` terms (AWS does not document how those combine).
 */
import { readQuoted } from "./filter-pattern-quoted.js";
import { FilterPatternSyntaxError } from "./filter-pattern-syntax-error.js";

type TermKind = "required" | "excluded" | "optional";

interface Term {
  readonly kind: TermKind;
  readonly text: string;
  readonly position: number;
}

const bareTermCharacter = /[A-Za-z0-9_]/;

function readTerms(pattern: string): Term[] {
  const terms: Term[] = [];
  let at = 0;
  while (at < pattern.length) {
    if (/\s/.test(pattern[at]!)) {
      at += 1;
      continue;
    }
    const position = at;
    const prefix = pattern[at];
    const kind: TermKind = prefix === "-" ? "excluded" : prefix === "?" ? "optional" : "required";
    if (kind !== "required") at += 1;
    if (pattern[at] === '"') {
      const quoted = readQuoted(pattern, at);
      at = quoted.end;
      terms.push({ kind, text: quoted.text, position });
    } else {
      const start = at;
      while (at < pattern.length && bareTermCharacter.test(pattern[at]!)) at += 1;
      if (at === start) {
        const reason =
          at >= pattern.length || /\s/.test(pattern[at]!)
            ? `"${prefix}" must be followed by a term`
            : `unexpected "${pattern[at]}": a term with characters other than letters, digits and _ must be quoted`;
        throw new FilterPatternSyntaxError(pattern, at, reason);
      }
      terms.push({ kind, text: pattern.slice(start, at), position });
    }
    if (at < pattern.length && !/\s/.test(pattern[at]!)) {
      throw new FilterPatternSyntaxError(
        pattern,
        at,
        `unexpected "${pattern[at]}": a term with characters other than letters, digits and _ must be quoted`,
      );
    }
  }
  return terms;
}

/** A phrase of only whitespace is AWS's documented "match everything" pattern. */
function occursIn(message: string, text: string): boolean {
  return text.trim() === "" || message.includes(text);
}

function allOf(required: readonly string[], excluded: readonly string[]): (message: string) => boolean {
  return (message) =>
    required.every((text) => occursIn(message, text)) && !excluded.some((text) => message.includes(text) && text.trim() !== "");
}

export function compileTermPattern(pattern: string): (message: string) => boolean {
  const terms = readTerms(pattern);
  const first = terms[0];
  if (first === undefined) return () => true;
  if (!terms.some((term) => term.kind === "optional")) {
    const texts = (kind: TermKind) => terms.filter((term) => term.kind === kind).map((term) => term.text);
    return allOf(texts("required"), texts("excluded"));
  }
  if (first.kind !== "optional") {
    throw new FilterPatternSyntaxError(pattern, first.position, "a pattern with ?terms must start with a ?term");
  }
  const groups: string[][] = [];
  for (const term of terms) {
    if (term.kind === "excluded") {
      throw new FilterPatternSyntaxError(pattern, term.position, "-term exclusions cannot be combined with ?terms");
    }
    if (term.kind === "optional") groups.push([term.text]);
    else groups[groups.length - 1]!.push(term.text);
  }
  const alternatives = groups.map((group) => allOf(group, []));
  return (message) => alternatives.some((matches) => matches(message));
}
