/** A refusal or failure, announced: the problem's title, detail and fields at fault, and its correlation id for the operators. */
import { ApiProblem } from "../api/client.js";

export function ProblemAlert({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error : undefined;
  const text = problem ? (problem.detail ? `${problem.title}: ${problem.detail}` : problem.title) : error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="field-error">
      {prefix ? `${prefix} ` : ""}
      {text}
      {problem?.fields.length ? ` (${problem.fields.map((field) => `${field.name}: ${field.reason}`).join("; ")})` : ""}
      {problem?.correlationId ? ` (correlation id ${problem.correlationId})` : ""}
    </p>
  );
}
