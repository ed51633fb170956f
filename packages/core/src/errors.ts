/**
 * Errors the domain raises. Each names what went wrong in domain terms; the API layer maps
 * them to HTTP status codes in one place (packages/functions/src/shared/problem.ts).
 */

/** One input field at fault, named by its dotted path (e.g. `pickup.lat`). */
export interface FieldProblem {
  readonly name: string;
  readonly reason: string;
}

export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist, or the caller may not know it exists. */
export class NotFoundError extends DomainError {}

/** The caller is known but not allowed to do this. */
export class ForbiddenError extends DomainError {}

/** The request is well-formed but conflicts with the current state. */
export class ConflictError extends DomainError {}

/** The input breaks a domain rule; `fields` say which parts. */
export class InvalidInputError extends DomainError {
  constructor(
    message: string,
    readonly fields: readonly FieldProblem[],
  ) {
    super(message);
  }
}
