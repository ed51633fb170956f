import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { z, type ZodError } from "zod";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  isTransientError,
  type FieldProblem,
} from "@haul/core/errors";

/**
 * RFC 9457 problem details. `invalid-params` names each field at fault,
 * so a client can point at the exact input to fix.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly "invalid-params"?: readonly FieldProblem[];
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    "invalid-params": z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

/** An error raised by the HTTP layer itself (bad JSON, wrong media type, missing role, ...). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly fields?: readonly FieldProblem[],
  ) {
    super(detail ?? title);
  }
}

const problemTypeBase = "https://haul.dev/problems/";

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/(^-|-$)/g, "");
}

export function problem(
  status: number,
  title: string,
  detail?: string,
  fields?: readonly FieldProblem[],
): Problem {
  return {
    type: `${problemTypeBase}${slug(title)}`,
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(fields === undefined || fields.length === 0 ? {} : { "invalid-params": fields }),
  };
}

/** Zod issues as field problems, named by dotted path; `location` prefixes them (body, query, path). */
export function fieldProblemsFromZod(error: ZodError, location: string): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    // Unknown keys are reported on the parent object: name each one instead.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        name: [location, ...path, key].join("."),
        reason: "is not a known field",
      }));
    }
    return [{ name: [location, ...path].join("."), reason: issue.message }];
  }).flat();
}

/** Maps any thrown error to a problem; unknown errors become a 500 that reveals nothing. */
export function problemFromError(error: unknown): Problem {
  if (error instanceof HttpProblem) return problem(error.status, error.title, error.detail, error.fields);
  // Domain rules judge the command, which is the request body: name its fields as the client sent them.
  if (error instanceof InvalidInputError)
    return problem(422, "Invalid input", error.message, error.fields.map((field) => ({ ...field, name: `body.${field.name}` })));
  if (error instanceof NotFoundError) return problem(404, "Not found", error.message);
  if (error instanceof ForbiddenError) return problem(403, "Forbidden", error.message);
  if (error instanceof ConflictError) return problem(409, "Conflict", error.message);
  if (error instanceof DomainError) return problem(400, "Bad request", error.message);
  // A dependency dropped or refused the connection, or a lock timed out: the same request may succeed.
  if (isTransientError(error))
    return problem(503, "Service unavailable", "A dependency did not answer in time. Retry the request shortly.");
  return problem(500, "Internal error", "The request could not be completed. It has been logged.");
}

export function problemResponse(
  value: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: value.status,
    // A 503 is transient (a dependency is down): tell clients when to try again.
    headers: { ...(value.status === 503 ? { "retry-after": "1" } : {}), ...headers, "content-type": "application/problem+json" },
    body: JSON.stringify(value),
  };
}
