/**
 * Parses a JSON filter pattern (`{ $.level = "ERROR" || $.statusCode >= 500 }`) into a tree, with
 * the grammar CloudWatch Logs documents (precedence: parentheses, then `&&`, then `||`):
 *
 *   pattern    := "{" or "}"
 *   or         := and ("||" and)*
 *   and        := primary ("&&" primary)*
 *   primary    := "(" or ")" | condition
 *   condition  := selector ("=" | "!=") value
 *               | selector ("<" | "<=" | ">" | ">=") number
 *               | selector "IS" ("NULL" | "TRUE" | "FALSE")
 *               | selector "NOT" "EXISTS"
 *   selector   := "$" ("." name) ("." name | "[" digits "]")*      name: letters, digits, "-", "_"
 *   value      := quoted string | bare word (letters, digits, "_", "-", "+", ".", "*") | number
 *   number     := [+-] digits ["." digits] [("e" | "E") [+-] digits]
 *
 * Refused with a FilterPatternSyntaxError: regular expressions (`%…%`), `*` or quoted keys in
 * selectors, and anything else outside this grammar.
 */
import { readQuoted } from "./filter-pattern-quoted.js";
import { FilterPatternSyntaxError } from "./filter-pattern-syntax-error.js";

/** A step from a JSON value to a member: an object property or an array index. */
export type SelectorStep = { readonly property: string } | { readonly index: number };

export type JsonValueLiteral =
  | { readonly kind: "string"; readonly text: string }
  /** A bare number: compared as a number with numbers, as its written `text` with strings. */
  | { readonly kind: "number"; readonly value: number; readonly text: string };

export type EqualityOperator = "=" | "!=";
export type OrderingOperator = "<" | "<=" | ">" | ">=";

export type JsonCondition =
  | { readonly kind: "compare"; readonly selector: readonly SelectorStep[]; readonly operator: EqualityOperator; readonly value: JsonValueLiteral }
  | { readonly kind: "order"; readonly selector: readonly SelectorStep[]; readonly operator: OrderingOperator; readonly value: number }
  | { readonly kind: "is"; readonly selector: readonly SelectorStep[]; readonly expected: null | true | false }
  | { readonly kind: "notExists"; readonly selector: readonly SelectorStep[] };

export type JsonExpression =
  | JsonCondition
  | { readonly kind: "and"; readonly operands: readonly JsonExpression[] }
  | { readonly kind: "or"; readonly operands: readonly JsonExpression[] };

type TokenKind = "{" | "}" | "(" | ")" | "&&" | "||" | "operator" | "selector" | "quoted" | "word" | "end";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
}

const numberLiteral = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const bareWordCharacter = /[A-Za-z0-9_\-+.*]/;
const selectorCharacter = /[A-Za-z0-9_\-.[\]*$'"]/;

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const push = (kind: TokenKind, text: string, position: number) => tokens.push({ kind, text, position });
  while (at < pattern.length) {
    const char = pattern[at]!;
    const pair = pattern.slice(at, at + 2);
    if (/\s/.test(char)) {
      at += 1;
    } else if (char === "{" || char === "}" || char === "(" || char === ")") {
      push(char, char, at);
      at += 1;
    } else if (pair === "&&" || pair === "||") {
      push(pair, pair, at);
      at += 2;
    } else if (pair === "!=" || pair === "<=" || pair === ">=") {
      push("operator", pair, at);
      at += 2;
    } else if (char === "=" || char === "<" || char === ">") {
      push("operator", char, at);
      at += 1;
    } else if (char === '"') {
      const quoted = readQuoted(pattern, at);
      push("quoted", quoted.text, at);
      at = quoted.end;
    } else if (char === "$") {
      const start = at;
      while (at < pattern.length && selectorCharacter.test(pattern[at]!)) at += 1;
      push("selector", pattern.slice(start, at), start);
    } else if (char === "%") {
      throw new FilterPatternSyntaxError(pattern, at, "regular expressions (%…%) are not supported");
    } else if (bareWordCharacter.test(char)) {
      const start = at;
      while (at < pattern.length && bareWordCharacter.test(pattern[at]!)) at += 1;
      push("word", pattern.slice(start, at), start);
    } else {
      throw new FilterPatternSyntaxError(pattern, at, `unexpected "${char}": a value with such characters must be quoted`);
    }
  }
  push("end", "", pattern.length);
  return tokens;
}

function parseSelector(pattern: string, token: Token): SelectorStep[] {
  const steps: SelectorStep[] = [];
  const step = /\.([A-Za-z0-9_-]+)|\[(\d+)\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < token.text.length) {
    const at = step.lastIndex;
    const match = step.exec(token.text);
    if (match === null) {
      const reason = token.text.slice(at).match(/^(\.\*|\[\*\]|\[['"])/)
        ? "wildcards and quoted keys in selectors are not supported"
        : 'a selector is $ followed by .name and [index] steps (names of letters, digits, "-" and "_")';
      throw new FilterPatternSyntaxError(pattern, token.position + at, reason);
    }
    if (match[1] !== undefined) steps.push({ property: match[1] });
    else if (steps.length === 0) throw new FilterPatternSyntaxError(pattern, token.position + at, "an array index must follow a property");
    else steps.push({ index: Number(match[2]) });
  }
  if (steps.length === 0) throw new FilterPatternSyntaxError(pattern, token.position, "a selector must name a property ($.name)");
  return steps;
}

export function parseJsonPattern(pattern: string): JsonExpression {
  const tokens = tokenize(pattern);
  let next = 0;
  const peek = (): Token => tokens[next]!;
  const take = (): Token => tokens[next++]!;
  const fail = (token: Token, reason: string): never => {
    throw new FilterPatternSyntaxError(pattern, token.position, reason);
  };
  const describe = (token: Token) => (token.kind === "end" ? "the end of the pattern" : `"${token.text}"`);
  const expect = (kind: TokenKind, what: string): Token => {
    const token = take();
    return token.kind === kind ? token : fail(token, `expected ${what}, found ${describe(token)}`);
  };
  const expectWord = (words: readonly string[]): string => {
    const token = take();
    return token.kind === "word" && words.includes(token.text)
      ? token.text
      : fail(token, `expected ${words.join(" or ")}, found ${describe(token)}`);
  };

  const parseValue = (): JsonValueLiteral => {
    const token = take();
    if (token.kind === "quoted") return { kind: "string", text: token.text };
    if (token.kind !== "word") return fail(token, `expected a value, found ${describe(token)}`);
    return numberLiteral.test(token.text)
      ? { kind: "number", value: Number(token.text), text: token.text }
      : { kind: "string", text: token.text };
  };

  const parseCondition = (): JsonCondition => {
    const selectorToken = expect("selector", "a selector ($.name)");
    const selector = parseSelector(pattern, selectorToken);
    const token = take();
    if (token.kind === "operator") {
      if (token.text === "=" || token.text === "!=") return { kind: "compare", selector, operator: token.text, value: parseValue() };
      const operand = take();
      if (operand.kind !== "word" || !numberLiteral.test(operand.text)) {
        return fail(operand, `${token.text} compares with a number, found ${describe(operand)}`);
      }
      return { kind: "order", selector, operator: token.text as OrderingOperator, value: Number(operand.text) };
    }
    if (token.kind === "word" && token.text === "IS") {
      const expected = expectWord(["NULL", "TRUE", "FALSE"]);
      return { kind: "is", selector, expected: expected === "NULL" ? null : expected === "TRUE" };
    }
    if (token.kind === "word" && token.text === "NOT") {
      expectWord(["EXISTS"]);
      return { kind: "notExists", selector };
    }
    return fail(token, `expected an operator, IS or NOT EXISTS after the selector, found ${describe(token)}`);
  };

  const parsePrimary = (): JsonExpression => {
    if (peek().kind !== "(") return parseCondition();
    take();
    const inner = parseOr();
    expect(")", '")"');
    return inner;
  };

  const parseChain = (kind: "and" | "or", separator: "&&" | "||", parseOperand: () => JsonExpression): JsonExpression => {
    const operands = [parseOperand()];
    while (peek().kind === separator) {
      take();
      operands.push(parseOperand());
    }
    return operands.length === 1 ? operands[0]! : { kind, operands };
  };
  const parseAnd = (): JsonExpression => parseChain("and", "&&", parsePrimary);
  const parseOr = (): JsonExpression => parseChain("or", "||", parseAnd);

  expect("{", '"{"');
  const expression = parseOr();
  expect("}", '"}" or an operator (&&, ||)');
  expect("end", "nothing after the closing }");
  return expression;
}
