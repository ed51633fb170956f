/**
 * Changes to the running copy of the definition, made after aws-local-stepfunctions has
 * validated the file as written (the library reads its definition at run time):
 *
 * - Retry intervals are scaled, so tests wait milliseconds where the cloud waits seconds.
 * - A Fail state whose ErrorPath or CausePath is an intrinsic function (AWS allows
 *   `"CausePath": "States.JsonToString($.error)"`) would fail the execution with States.Runtime
 *   ("Path expression 'States.JsonToString($.error)' does not point to a value"): the library
 *   evaluates those fields as plain JSONPath only. Such a state runs as a Task whose
 *   Parameters evaluate the same expressions and whose runner throws the error: the
 *   execution fails with the error and cause AWS would give. History still shows a Fail state.
 * - Task Parameters are applied by the local task runner (see payload-template.ts) when
 *   they only use what it supports; the running copy then has none.
 */
import { forEachState, type JsonObject } from "./definition.js";
import { compileTemplate, type CompiledTemplate } from "./payload-template.js";

export const failStateResource = "arn:aws:states:::haul-local:fail";

export interface LocalAdaptations {
  /** Fail states that run as a Task (see above). */
  readonly failStates: ReadonlySet<string>;
  /** Task states whose Parameters the task runner applies. */
  readonly parameters: ReadonlyMap<string, CompiledTemplate>;
}

export function adaptForLocalRun(definition: JsonObject, options: { readonly retryIntervalScale: number }): LocalAdaptations {
  const failStates = new Set<string>();
  const parameters = new Map<string, CompiledTemplate>();
  forEachState(definition, (name, state) => {
    if (options.retryIntervalScale !== 1) scaleRetries(state, options.retryIntervalScale);
    if (state.Type === "Fail" && (isIntrinsic(state.ErrorPath) || isIntrinsic(state.CausePath))) {
      failStates.add(name);
      replaceFailState(state);
    }
    if (state.Type === "Task" && state.Parameters !== undefined) {
      const compiled = compileTemplate(state.Parameters);
      if (compiled) {
        parameters.set(name, compiled);
        delete state.Parameters;
      }
    }
  });
  return { failStates, parameters };
}

function scaleRetries(state: JsonObject, scale: number): void {
  const retriers = state.Retry as JsonObject[] | undefined;
  for (const retrier of retriers ?? []) {
    // The library's default interval is 1 s, as in ASL.
    retrier.IntervalSeconds = (typeof retrier.IntervalSeconds === "number" ? retrier.IntervalSeconds : 1) * scale;
    if (typeof retrier.MaxDelaySeconds === "number") retrier.MaxDelaySeconds *= scale;
  }
}

function isIntrinsic(path: unknown): boolean {
  return typeof path === "string" && path.startsWith("States.");
}

function replaceFailState(state: JsonObject): void {
  const parameters: JsonObject = {};
  if (typeof state.ErrorPath === "string") parameters["Error.$"] = state.ErrorPath;
  else if (typeof state.Error === "string") parameters.Error = state.Error;
  if (typeof state.CausePath === "string") parameters["Cause.$"] = state.CausePath;
  else if (typeof state.Cause === "string") parameters.Cause = state.Cause;
  for (const key of ["Error", "ErrorPath", "Cause", "CausePath"]) delete state[key];
  Object.assign(state, { Type: "Task", Resource: failStateResource, Parameters: parameters, End: true });
}
