/**
 * CloudWatch Logs filter patterns: for each construct, lines that must match and lines that must
 * not, the patterns Haul's subscription filters are likely to use on Powertools Logger lines and
 * Lambda platform records, and malformed or unsupported patterns refused at compile time.
 */
import { describe, expect, it } from "vitest";
import { compileFilterPattern, FilterPatternSyntaxError } from "../../src/observability/filter-pattern.js";

function expectMatches(pattern: string, matching: readonly string[], notMatching: readonly string[]) {
  const matches = compileFilterPattern(pattern);
  for (const line of matching) expect(matches(line), `${pattern} should match ${line}`).toBe(true);
  for (const line of notMatching) expect(matches(line), `${pattern} should not match ${line}`).toBe(false);
}

function syntaxErrorOf(pattern: string): FilterPatternSyntaxError {
  try {
    compileFilterPattern(pattern);
  } catch (error) {
    if (error instanceof FilterPatternSyntaxError) return error;
    throw error;
  }
  throw new Error(`${pattern} compiled, but should have been refused`);
}

const powertoolsInfo = JSON.stringify({
  level: "INFO",
  message: "reservation created",
  timestamp: "2024-05-01T10:00:00.000Z",
  service: "reservation",
  cold_start: true,
  function_request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
  correlation_id: "corr-1",
  route: "POST /reservations",
  statusCode: 201,
  latencyMs: 42.5,
});
const powertoolsError = JSON.stringify({ level: "ERROR", message: "boom", service: "reservation", statusCode: 503, error: { name: "TransientError" } });
const powertoolsWarn = JSON.stringify({ level: "WARN", message: "slow", service: "query", statusCode: 200 });
const platformReport = JSON.stringify({
  time: "2024-05-01T10:00:01.000Z",
  type: "platform.report",
  record: {
    requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    metrics: { durationMs: 12.3, billedDurationMs: 13, memorySizeMB: 1024, maxMemoryUsedMB: 80, initDurationMs: 250.1 },
    status: "success",
  },
});
const platformStart = JSON.stringify({ time: "2024-05-01T10:00:00.000Z", type: "platform.start", record: { requestId: "r-1", version: "$LATEST" } });
const textReport =
  "REPORT RequestId: c6af9ac6-7b61-11e6-9a41-93e8deadbeef\tDuration: 12.30 ms\tBilled Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB";
const textStart = "START RequestId: c6af9ac6-7b61-11e6-9a41-93e8deadbeef Version: $LATEST";

describe("the empty pattern", () => {
  it("matches every event, JSON or not, even an empty message", () => {
    for (const pattern of ["", "   ", "\t"]) expectMatches(pattern, [powertoolsInfo, textReport, "", "anything"], []);
  });
});

describe("term patterns", () => {
  it("matches a single term anywhere in the message, case-sensitively, as a substring", () => {
    expectMatches(
      "ERROR",
      ["[ERROR] A fatal exception has occurred", "Exiting with ERRORCODE: -1", powertoolsError],
      ["[error] lower case", "ERR", "", powertoolsInfo],
    );
  });

  it("requires every term of a multi-term pattern, in any order", () => {
    expectMatches(
      "ERROR Exception",
      ["[ERROR] Caught IllegalArgumentException", "Exception first, then ERROR"],
      ["[ERROR] only the level", "only an Exception"],
    );
  });

  it("matches a quoted phrase as one term, spaces and punctuation included", () => {
    expectMatches(
      '"Task timed out"',
      ["2024-05-01T10:00:00Z c6af Task timed out after 3.00 seconds"],
      ["Task was timed out", "Task timed  out", "task timed out"],
    );
    expectMatches('"RequestId:" REPORT', [textReport], [textStart, "REPORT RequestId - x"]);
    expectMatches('"a \\"quoted\\" word"', ['said a "quoted" word'], ["said a quoted word"]);
  });

  it("excludes the events that contain a -term", () => {
    expectMatches(
      "ERROR -Exiting",
      ["[ERROR] A fatal exception has occurred"],
      ["Exiting with ERRORCODE: -1", "nothing relevant", "Exiting only"],
    );
    expectMatches('-"platform.report"', [textReport, powertoolsInfo], [platformReport]);
  });

  it("matches any of the ?terms", () => {
    const lines = ["ERROR WARN message", "ERROR message", "WARN message", "INFO message"];
    expectMatches("?ERROR ?WARN", lines.slice(0, 3), lines.slice(3));
    expectMatches("ERROR WARN", lines.slice(0, 1), lines.slice(1));
    expectMatches("ERROR -WARN", lines.slice(1, 2), [lines[0]!, ...lines.slice(2)]);
    expectMatches('?"Task timed out" ?"Runtime.ExitError" ?REPORT', ["Task timed out after 3.00 seconds", "Runtime.ExitError", textReport], [textStart]);
  });

  it("reads a ?term followed by plain terms as one group, as aws-cdk's anyTermGroup renders them", () => {
    expectMatches(
      '?"ERROR" "MainThread" ?"WARN" "Deadlock"',
      ["ERROR in MainThread", "WARN: Deadlock detected", "ERROR WARN MainThread"],
      ["ERROR in worker", "WARN in MainThread", "Deadlock in MainThread"],
    );
  });

  it('matches everything with " ", as documented', () => {
    expectMatches('" "', ["nospaces", "", powertoolsInfo], []);
  });
});

describe("JSON patterns on Powertools Logger lines and Lambda platform records", () => {
  const all = [powertoolsInfo, powertoolsError, powertoolsWarn, platformReport, platformStart];

  it("{ $.level = * } selects application log lines, not platform records or text", () => {
    expectMatches("{ $.level = * }", [powertoolsInfo, powertoolsError, powertoolsWarn], [platformReport, platformStart, textReport, textStart]);
  });

  it('{ $.type = "platform.report" } selects only the REPORT record', () => {
    expectMatches('{ $.type = "platform.report" }', [platformReport], [platformStart, powertoolsInfo, textReport]);
  });

  it("|| with parentheses selects errors and warnings", () => {
    expectMatches('{ ($.level = "ERROR") || ($.level = "WARN") }', [powertoolsError, powertoolsWarn], [powertoolsInfo, platformReport, "ERROR WARN"]);
  });

  it("{ $.statusCode >= 500 } selects server errors", () => {
    expectMatches("{ $.statusCode >= 500 }", [powertoolsError], [powertoolsInfo, powertoolsWarn, platformReport]);
  });

  it("application lines or platform records, the refiner's own selection", () => {
    expectMatches('{ $.level = * || $.type = "platform.*" }', all, [textReport, '{"message":"no level"}']);
  });

  it("reaches nested fields of platform records", () => {
    expectMatches("{ $.record.metrics.initDurationMs > 0 }", [platformReport], [platformStart, powertoolsInfo]);
    expectMatches('{ $.record.status = "success" && $.record.metrics.maxMemoryUsedMB <= 80 }', [platformReport], [platformStart]);
    expectMatches("{ $.record.metrics.maxMemoryUsedMB < 80 }", [], [platformReport]);
  });

  it("never matches a line that is not a JSON object", () => {
    const matches = compileFilterPattern("{ $.level = * }");
    for (const line of [
      textReport,
      '2024-05-01T10:00:00.000Z\tc6af\tINFO\t{"level":"INFO"}',
      '[{"level":"INFO"}]',
      '"level"',
      "null",
      '{"level":"INFO"',
      "{ level = INFO }",
      "",
    ]) {
      expect(matches(line), line).toBe(false);
    }
    expect(compileFilterPattern("{ $.a NOT EXISTS }")("not json at all")).toBe(false);
    expect(compileFilterPattern("{ $.a NOT EXISTS }")("{}")).toBe(true);
  });
});

describe("JSON string comparisons", () => {
  it("= is exact and case-sensitive", () => {
    expectMatches(
      "{ $.eventType = UpdateTrail }",
      ['{"eventType":"UpdateTrail"}'],
      ['{"eventType":"updatetrail"}', '{"eventType":"UpdateTrails"}', '{"eventType":"AUpdateTrail"}', '{"other":"UpdateTrail"}'],
    );
  });

  it("* is a wildcard at the start, the end or both; in the middle it is a literal", () => {
    expectMatches("{ $.name = *Event }", ['{"name":"PutEvent"}', '{"name":"Event"}'], ['{"name":"EventId"}', '{"name":"PutEvents"}']);
    expectMatches("{ $.name = Event* }", ['{"name":"EventId"}', '{"name":"EventName"}'], ['{"name":"PutEvent"}']);
    expectMatches("{ $.name = *vent* }", ['{"name":"PutEvents"}'], ['{"name":"Evening"}']);
    expectMatches("{ $.name = Ev*ent }", ['{"name":"Ev*ent"}'], ['{"name":"Event"}', '{"name":"EvXent"}']);
    expectMatches('{ $.ip != "123.123.*" }', ['{"ip":"111.111.111.111"}'], ['{"ip":"123.123.1.1"}', '{"other":"x"}']);
  });

  it("= * and = \"*\" match any string or number, never null, booleans, objects, arrays or a missing field", () => {
    for (const pattern of ["{ $.f = * }", '{ $.f = "*" }']) {
      expectMatches(
        pattern,
        ['{"f":"x"}', '{"f":""}', '{"f":0}'],
        ['{"f":null}', '{"f":true}', '{"f":{"a":1}}', '{"f":[1]}', '{"g":"x"}'],
      );
    }
  });

  it("!= holds for a different value, but not when the field is missing or not a value node", () => {
    expectMatches('{ $.level != "DEBUG" }', ['{"level":"INFO"}', '{"level":5}'], ['{"level":"DEBUG"}', "{}", '{"level":null}', '{"level":["INFO"]}']);
  });

  it("a string pattern matches a number by its decimal text", () => {
    expectMatches("{ $.statusCode = 5* }", ['{"statusCode":503}', '{"statusCode":"500"}'], ['{"statusCode":403}', '{"statusCode":"4xx"}']);
  });
});

describe("JSON numeric comparisons", () => {
  it("compares numbers with every operator", () => {
    const cases: Array<[string, string[], string[]]> = [
      ["{ $.latency = 500 }", ['{"latency":500}', '{"latency":500.0}', '{"latency":5e2}'], ['{"latency":501}']],
      ["{ $.latency != 500 }", ['{"latency":499}'], ['{"latency":500}', "{}"]],
      ["{ $.latency < 500 }", ['{"latency":499.9}', '{"latency":-1}'], ['{"latency":500}', '{"latency":"1"}']],
      ["{ $.latency <= 500 }", ['{"latency":500}'], ['{"latency":500.1}']],
      ["{ $.latency > 500 }", ['{"latency":500.1}'], ['{"latency":500}', '{"latency":null}']],
      ["{ $.latency >= 500 }", ['{"latency":500}', '{"latency":1e6}'], ['{"latency":499}', '{"latency":true}']],
    ];
    for (const [pattern, matching, notMatching] of cases) expectMatches(pattern, matching, notMatching);
  });

  it("reads signed, decimal and scientific numbers in the pattern", () => {
    expectMatches("{ $.latency > +1000 }", ['{"latency":1001}'], ['{"latency":1000}']);
    expectMatches("{ $.delta >= -2.5 }", ['{"delta":-2.5}', '{"delta":0}'], ['{"delta":-3}']);
    expectMatches("{ $.n < 10e-3 }", ['{"n":0.001}'], ['{"n":0.01}']);
    expectMatches("{ $.n < 10e3 }", ['{"n":9999}'], ['{"n":10000}']);
  });

  it("= with a bare number matches a string written the same way", () => {
    expectMatches("{ $.code = 400 }", ['{"code":400}', '{"code":"400"}'], ['{"code":"400.0"}', '{"code":"4000"}']);
  });
});

describe("JSON IS NULL, IS TRUE, IS FALSE, NOT EXISTS", () => {
  const event = '{"SomeObject":null,"ThisFlag":true,"OtherFlag":false,"zero":0,"empty":""}';

  it("IS NULL holds only for null", () => {
    expectMatches("{ $.SomeObject IS NULL }", [event], ['{"SomeObject":{}}', "{}", '{"SomeObject":"null"}']);
    expectMatches("{ $.zero IS NULL }", [], [event]);
  });

  it("IS TRUE and IS FALSE hold only for the boolean", () => {
    expectMatches("{ $.ThisFlag IS TRUE }", [event], ['{"ThisFlag":"true"}', '{"ThisFlag":1}', "{}"]);
    expectMatches("{ $.OtherFlag IS FALSE }", [event], ['{"OtherFlag":0}', '{"OtherFlag":""}', "{}", '{"OtherFlag":null}']);
    expectMatches("{ $.ThisFlag IS FALSE }", [], [event]);
  });

  it("NOT EXISTS holds only when the selector reaches nothing", () => {
    expectMatches("{ $.SomeOtherObject NOT EXISTS }", [event, '{"a":{}}'], ['{"SomeOtherObject":null}', '{"SomeOtherObject":0}']);
    expectMatches("{ $.a.b NOT EXISTS }", ['{"a":{}}', '{"a":"text"}', "{}"], ['{"a":{"b":1}}']);
    expectMatches("{ $.list[2] NOT EXISTS }", ['{"list":[1,2]}', '{"list":{"2":1}}'], ['{"list":[1,2,3]}']);
  });
});

describe("JSON selectors", () => {
  const event = JSON.stringify({
    user: { id: 1, email: "John.Stiles@example.com" },
    users: [
      { id: 2, email: "John.Doe@example.com" },
      { id: 3, email: "Jane.Doe@example.com" },
    ],
    actions: ["GET", "PUT", "DELETE"],
    coordinates: [
      [0, 1, 2],
      [4, 5, 6],
    ],
    "x-amz-id": "abc",
    snake_case: "yes",
  });

  it("follows nested properties, array indexes and nested arrays", () => {
    expectMatches("{ $.user.id = 1 }", [event], ['{"user":{"id":2}}', '{"user":[{"id":1}]}']);
    expectMatches('{ $.users[1].email = "Jane.Doe@example.com" }', [event], ['{"users":{"1":{"email":"Jane.Doe@example.com"}}}']);
    expectMatches("{ $.actions[0] = GET }", [event], ['{"actions":"GET"}', '{"actions":["PUT","GET"]}']);
    expectMatches("{ $.coordinates[1][2] = 6 }", [event], ['{"coordinates":[[6]]}']);
    expectMatches("{ $.x-amz-id = abc && $.snake_case = yes }", [event], ['{"x-amz-id":"abc"}']);
  });

  it("fails both = and != on an array or an object", () => {
    for (const pattern of ["{ $.users = 1 }", "{ $.users != 1 }", "{ $.user != 1 }", "{ $.actions > 0 }"]) {
      expectMatches(pattern, [], ['{"users":[1,2,3],"user":{"id":1},"actions":[1]}']);
    }
  });

  it("does not reach inherited properties", () => {
    expectMatches("{ $.constructor NOT EXISTS }", ["{}"], []);
    expectMatches("{ $.toString = * }", [], ["{}"]);
  });
});

describe("JSON compound conditions", () => {
  const event = JSON.stringify({
    user: { id: 1, email: "John.Stiles@example.com" },
    users: [{ id: 2, email: "John.Doe@example.com" }],
    actions: ["GET", "PUT", "DELETE"],
    coordinates: [[0, 1, 2]],
  });

  it("follows AWS's documented examples: && binds tighter than ||, parentheses first", () => {
    expect(compileFilterPattern('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }')(event)).toBe(true);
    expect(compileFilterPattern('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }')(event)).toBe(false);
    expect(compileFilterPattern('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }')(event)).toBe(true);
    expect(compileFilterPattern('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }')(event)).toBe(false);
  });

  it("combines documented ORs", () => {
    expectMatches("{$.foo = bar || $.foo = baz }", ['{"foo":"bar"}', '{"foo":"baz"}'], ['{"foo":"qux"}']);
    expectMatches("{ ((($.a = 1)) && ($.b = 2 || $.c = 3)) }", ['{"a":1,"c":3}', '{"a":1,"b":2}'], ['{"a":1}', '{"b":2,"c":3}']);
  });
});

describe("malformed and unsupported patterns are refused at compile time, naming the position", () => {
  const refused: Array<[pattern: string, position: number, reason: RegExp]> = [
    ["{ $.level = ", 12, /expected a value/],
    ['{ $.level = "ERROR"', 19, /expected "}"/],
    ['{ $.level = "ERROR" } extra', 22, /nothing after/],
    ["{ }", 2, /expected a selector/],
    ["{ level = ERROR }", 2, /expected a selector/],
    ["{ $ = 1 }", 2, /must name a property/],
    ["{ $[0] = 1 }", 3, /array index must follow a property/],
    ["{ $.a..b = 1 }", 5, /selector is \$ followed by/],
    ["{ $.a[x] = 1 }", 5, /selector is \$ followed by/],
    ["{ $.a[*] = 1 }", 5, /wildcards and quoted keys/],
    ["{ $.* = 1 }", 3, /wildcards and quoted keys/],
    ["{ $.level == ERROR }", 11, /expected a value/],
    ["{ $.latency > fast }", 14, /compares with a number/],
    ['{ $.latency >= "500" }', 15, /compares with a number/],
    ["{ $.a IS MISSING }", 9, /expected NULL or TRUE or FALSE/],
    ["{ $.a IS NOT NULL }", 9, /expected NULL or TRUE or FALSE/],
    ["{ $.a EXISTS }", 6, /expected an operator, IS or NOT EXISTS/],
    ["{ $.a NOT NULL }", 10, /expected EXISTS/],
    ["{ ($.a = 1 }", 11, /expected "\)"/],
    ["{ $.a = 1 && }", 13, /expected a selector/],
    ["{ $.a = 1 & $.b = 2 }", 10, /must be quoted/],
    ["{ $.email = John@example.com }", 16, /must be quoted/],
    ["{ $.message = %timed out% }", 14, /regular expressions/],
    ['{ $.a = "unterminated }', 8, /unterminated quoted string/],
    ['{ $.a = "bad \\n escape" }', 13, /may be escaped/],
    ["[ip, user, ..., status_code = 4*, bytes > 1000]", 0, /space-delimited patterns/],
    ['"unterminated', 0, /unterminated quoted string/],
    ["ERROR:", 5, /must be quoted/],
    ["platform.report", 8, /must be quoted/],
    ["ERROR -", 7, /must be followed by a term/],
    ["? ERROR", 1, /must be followed by a term/],
    ['"a"b', 3, /must be quoted/],
    ["ERROR ?WARN", 0, /must start with a \?term/],
    ["?ERROR -DEBUG", 7, /cannot be combined/],
  ];

  it.each(refused)("%s", (pattern, position, reason) => {
    const error = syntaxErrorOf(pattern);
    expect(error.position).toBe(position);
    expect(error.reason).toMatch(reason);
    expect(error.message).toContain(`position ${position}`);
    expect(error.pattern).toBe(pattern);
  });
});
