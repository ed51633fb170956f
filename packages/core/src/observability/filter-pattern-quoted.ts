/**
 * Double-quoted strings, shared by term and JSON patterns: `\"` and `\\` are the only escapes,
 * so a quote or a backslash can be part of the text.
 */
import { FilterPatternSyntaxError } from "./filter-pattern-syntax-error.js";

/** The text of the quoted string opening at `start` (a `"`), and the offset just past its closing quote. */
export function readQuoted(pattern: string, start: number): { text: string; end: number } {
  let text = "";
  let at = start + 1;
  while (at < pattern.length) {
    const char = pattern[at]!;
    if (char === '"') return { text, end: at + 1 };
    if (char === "\\") {
      const escaped = pattern[at + 1];
      if (escaped !== '"' && escaped !== "\\") {
        throw new FilterPatternSyntaxError(pattern, at, 'only \\" and \\\\ may be escaped in a quoted string');
      }
      text += escaped;
      at += 2;
    } else {
      text += char;
      at += 1;
    }
  }
  throw new FilterPatternSyntaxError(pattern, start, "unterminated quoted string");
}
