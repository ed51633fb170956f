/**
 * A Task's `Parameters` template, compiled once and applied by the local task runner instead
 * of aws-local-stepfunctions, for two reasons:
 *
 * - Correctness: the library strips every backslash from an intrinsic function's string
 *   result (`result.replaceAll("\\", "")`), so its `States.JsonToString` yields broken JSON
 *   whenever a string inside holds a quote, a backslash or a newline (a cargo description,
 *   an error cause).
 * - Speed: the library evaluates each path with jsonpath-plus, which returns a scalar by
 *   throwing and catching an Error (~17 µs each); the reservation workflow evaluates about
 *   twenty per execution.
 *
 * Supported: static values, `"key.$"` with a definite reference path (`$.a.b`, `$['a']`,
 * `$.a[0]`, `$$.Execution.Id`) and `States.JsonToString(<such a path>)`. A template using
 * anything else (other intrinsics, wildcards, filters) is left to the library.
 */
import type { JsonObject, JsonValue } from "./definition.js";

export type CompiledTemplate = (input: JsonValue, context: () => JsonValue) => JsonValue;

type Accessor = readonly (string | number)[];
type Node =
  | { readonly kind: "static"; readonly value: JsonValue }
  | { readonly kind: "object"; readonly fields: readonly { readonly key: string; readonly node: Node }[] }
  | { readonly kind: "array"; readonly items: readonly Node[] }
  | { readonly kind: "path"; readonly field: string; readonly path: string; readonly context: boolean; readonly accessor: Accessor; readonly toJson: boolean };

/** `States.Runtime`: fails the execution; Retry and Catch (even on States.ALL) do not apply. */
export class StatesRuntimeError extends Error {
  // Read by aws-local-stepfunctions' Retry and Catch matching.
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(message: string) {
    super(message);
    this.name = "States.Runtime";
  }
}

const jsonToString = /^States\.JsonToString\(\s*(.+?)\s*\)$/;
const segment = /^(?:\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;

/** The compiled template, or undefined when it uses something only the library supports. */
export function compileTemplate(template: JsonValue): CompiledTemplate | undefined {
  const root = compileNode(template);
  if (!root) return undefined;
  return (input, context) => evaluate(root, input, context);
}

function compileNode(template: JsonValue): Node | undefined {
  if (Array.isArray(template)) {
    const items = template.map((item) => compileNode(item));
    return items.every((item): item is Node => item !== undefined) ? { kind: "array", items } : undefined;
  }
  if (typeof template !== "object" || template === null) return { kind: "static", value: template };
  const fields: { key: string; node: Node }[] = [];
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$") && typeof value === "string") {
      const node = compileDynamic(key.slice(0, -2), value);
      if (!node) return undefined;
      fields.push({ key: key.slice(0, -2), node });
    } else {
      const node = compileNode(value);
      if (!node) return undefined;
      fields.push({ key, node });
    }
  }
  return { kind: "object", fields };
}

function compileDynamic(field: string, expression: string): Node | undefined {
  const intrinsic = jsonToString.exec(expression);
  const path = intrinsic ? intrinsic[1]! : expression;
  const context = path.startsWith("$$");
  const accessor = parsePath(context ? path.slice(1) : path);
  if (!accessor) return undefined;
  return { kind: "path", field, path, context, accessor, toJson: intrinsic !== null };
}

/** The steps of a definite JSONPath (`$.a['b'][0]`), or undefined for anything else. */
function parsePath(path: string): Accessor | undefined {
  if (!path.startsWith("$")) return undefined;
  const steps: (string | number)[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = segment.exec(rest);
    if (!match) return undefined;
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(match[2].replace(/\\(.)/g, "$1"));
    else steps.push(Number(match[3]));
    rest = rest.slice(match[0].length);
  }
  return steps;
}

function evaluate(node: Node, input: JsonValue, context: () => JsonValue): JsonValue {
  switch (node.kind) {
    case "static":
      return node.value;
    case "array":
      return node.items.map((item) => evaluate(item, input, context));
    case "object": {
      const result: JsonObject = {};
      for (const { key, node: child } of node.fields) result[key] = evaluate(child, input, context);
      return result;
    }
    case "path": {
      const source = node.context ? context() : input;
      const value = select(source, node.accessor);
      if (value === undefined) {
        throw new StatesRuntimeError(
          `The JSONPath '${node.path}' specified for the field '${node.field}.$' could not be found in the input '${JSON.stringify(source)}'`,
        );
      }
      return node.toJson ? JSON.stringify(value) : value;
    }
  }
}

function select(value: JsonValue, accessor: Accessor): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const step of accessor) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Array.isArray(current) ? (typeof step === "number" ? current[step] : undefined) : (current as JsonObject)[String(step)];
  }
  return current;
}
