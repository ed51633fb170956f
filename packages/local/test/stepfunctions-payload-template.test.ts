/** Task Parameters as the local task runner applies them (see payload-template.ts). */
import { describe, expect, it } from "vitest";
import { compileTemplate, StatesRuntimeError } from "../src/stepfunctions/payload-template.js";

const context = () => ({ Execution: { Id: "arn:execution", Name: "r-1" }, State: { Name: "NotifyDriver", RetryCount: 0 } });

describe("compileTemplate", () => {
  it("fills in paths, nested objects, arrays and context paths; keeps static values", () => {
    const template = compileTemplate({
      TableName: "t",
      "Id.$": "$.reservation.id",
      "First.$": "$.items[0]",
      "Quoted.$": "$['odd key']",
      Item: { "name": { "S.$": "$.reservation.name" }, flag: { BOOL: true } },
      List: [{ "value.$": "$.items[1]" }, 3],
      "Execution.$": "$$.Execution.Id",
      "Whole.$": "$",
    })!;
    const input = { reservation: { id: "r-1", name: "Ada" }, items: ["a", "b"], "odd key": 7 };
    expect(template(input, context)).toEqual({
      TableName: "t",
      Id: "r-1",
      First: "a",
      Quoted: 7,
      Item: { name: { S: "Ada" }, flag: { BOOL: true } },
      List: [{ value: "b" }, 3],
      Execution: "arn:execution",
      Whole: input,
    });
  });

  it("turns States.JsonToString(path) into valid JSON, quotes, backslashes and newlines included", () => {
    const template = compileTemplate({ "Message.$": "States.JsonToString($.note)" })!;
    const note = { text: 'a "quoted"\\ line\nand another' };
    const { Message } = template({ note }, context) as { Message: string };
    expect(JSON.parse(Message)).toEqual(note);
  });

  it("fails with States.Runtime when a path matches nothing", () => {
    const template = compileTemplate({ "Id.$": "$.missing" })!;
    expect(() => template({ present: 1 }, context)).toThrow(StatesRuntimeError);
    expect(() => template({ present: 1 }, context)).toThrow(`The JSONPath '$.missing' specified for the field 'Id.$' could not be found in the input '{"present":1}'`);
  });

  it("leaves templates with other intrinsics or indefinite paths to the library", () => {
    expect(compileTemplate({ "Text.$": "States.Format('{}', $.a)" })).toBeUndefined();
    expect(compileTemplate({ "All.$": "$.items[*]" })).toBeUndefined();
    expect(compileTemplate({ "Deep.$": "$..id" })).toBeUndefined();
  });
});
