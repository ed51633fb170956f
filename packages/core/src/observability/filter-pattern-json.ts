/**
 * Evaluates JSON filter patterns on log events, with the semantics CloudWatch Logs documents:
 *  - a JSON pattern matches only a message that is, whole, a JSON object;
 *  - a selector that reaches nothing (a missing property, an index past the end, a step into a
 *    value of the wrong kind) fails every comparison, `!=` included; only `NOT EXISTS` holds;
 *  - comparisons apply to value nodes, strings and numbers: a selector reaching an object, an array,
 *    a boolean or null fails `=`, `!=` and the orderings (booleans and null answer `IS TRUE`,
 *    `IS FALSE`, `IS NULL`);
 *  - `=` / `!=` with a string: exact, case-sensitive, with `*` as a wildcard at the start and/or the
 *    end (`*Event`, `Event*`, `*Event*`, `*` alone for any value); a `*` in the middle is a
 *    literal character, as documented (`Ev*ent` matches only `Ev*ent`). A number is matched by its
 *    decimal text (`{ $.status = 5* }` matches 503);
 *  - `=` / `!=` with a bare number: numeric equality with numbers, equality with the number as
 *    written with strings (`{ $.code = 400 }` matches `"code": "400"`);
 *  - `<`, `<=`, `>`, `>=`: numeric, on number values only.
 */
import type { JsonCondition, JsonExpression, JsonValueLiteral, SelectorStep } from "./filter-pattern-json-syntax.js";

type Predicate = (event: Record<string, unknown>) => boolean;

const missing = Symbol("missing");

function select(event: Record<string, unknown>, steps: readonly SelectorStep[]): unknown {
  let node: unknown = event;
  for (const step of steps) {
    if ("property" in step) {
      if (typeof node !== "object" || node === null || Array.isArray(node) || !Object.hasOwn(node, step.property)) return missing;
      node = (node as Record<string, unknown>)[step.property];
    } else {
      if (!Array.isArray(node) || step.index >= node.length) return missing;
      node = node[step.index];
    }
  }
  return node;
}

function wildcardMatcher(pattern: string): (text: string) => boolean {
  if (pattern === "*") return () => true;
  const leading = pattern.startsWith("*");
  const trailing = pattern.length > 1 && pattern.endsWith("*");
  const core = pattern.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (leading && trailing) return (text) => text.includes(core);
  if (leading) return (text) => text.endsWith(core);
  if (trailing) return (text) => text.startsWith(core);
  return (text) => text === core;
}

function equalityTest(value: JsonValueLiteral): (node: string | number) => boolean {
  if (value.kind === "number") {
    return (node) => (typeof node === "number" ? node === value.value : node === value.text);
  }
  const matches = wildcardMatcher(value.text);
  return (node) => matches(typeof node === "number" ? String(node) : node);
}

const orderings = {
  "<": (left: number, right: number) => left < right,
  "<=": (left: number, right: number) => left <= right,
  ">": (left: number, right: number) => left > right,
  ">=": (left: number, right: number) => left >= right,
} as const;

function compileCondition(condition: JsonCondition): Predicate {
  const { selector } = condition;
  switch (condition.kind) {
    case "compare": {
      const equals = equalityTest(condition.value);
      const wanted = condition.operator === "=";
      return (event) => {
        const node = select(event, selector);
        return (typeof node === "string" || typeof node === "number") && equals(node) === wanted;
      };
    }
    case "order": {
      const holds = orderings[condition.operator];
      const bound = condition.value;
      return (event) => {
        const node = select(event, selector);
        return typeof node === "number" && holds(node, bound);
      };
    }
    case "is": {
      const expected = condition.expected;
      return (event) => select(event, selector) === expected;
    }
    case "notExists":
      return (event) => select(event, selector) === missing;
  }
}

function compileExpression(expression: JsonExpression): Predicate {
  if (expression.kind === "and" || expression.kind === "or") {
    const operands = expression.operands.map(compileExpression);
    return expression.kind === "and"
      ? (event) => operands.every((operand) => operand(event))
      : (event) => operands.some((operand) => operand(event));
  }
  return compileCondition(expression);
}

/** The parsed object, or undefined when the message is not a JSON object. */
function parseJsonObject(message: string): Record<string, unknown> | undefined {
  // Cheap rejection of the common case, text lines, before paying for JSON.parse.
  if (!message.trimStart().startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(message);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function compileJsonExpression(expression: JsonExpression): (message: string) => boolean {
  const predicate = compileExpression(expression);
  return (message) => {
    const event = parseJsonObject(message);
    return event !== undefined && predicate(event);
  };
}
