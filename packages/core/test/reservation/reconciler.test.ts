import { describe, expect, it } from "vitest";
import { executionNameOf, maxRetries, nextAttemptName } from "../../src/reservation/reconciler.js";
import { ExecutionName, parseExecutionName } from "../../src/workflow/executions.js";

const id = "0b6f3c1e-1d2a-4c3b-8e4f-5a6b7c8d9e0f";

describe("the reconciler's execution names", () => {
  it("names a command's executions as start-workflow.ts does", () => {
    expect(executionNameOf(id, "create")).toBe(id);
    expect(executionNameOf(id, "cancel")).toBe(`${id}-cancel`);
  });

  it("numbers new attempts after the first and stops after maxRetries", () => {
    const base = `${id}-cancel`;
    const names: string[] = [];
    for (let name = nextAttemptName(base, base); name; name = nextAttemptName(base, name)) names.push(name);
    expect(names).toEqual(Array.from({ length: maxRetries }, (_, index) => `${base}-retry-${index + 1}`));
  });

  it("gives attempt names the operators' routes take as the reservation's command", () => {
    expect(parseExecutionName(`${id}-cancel-retry-2`)).toEqual({ reservationId: id, command: "cancel" });
    expect(parseExecutionName(`${id}-retry-1`)).toEqual({ reservationId: id, command: "create" });
    expect(ExecutionName.safeParse(`${id}-pickup-retry-${maxRetries}`).success).toBe(true);
    expect(ExecutionName.safeParse(`${id}-retry-0`).success).toBe(false);
  });
});
