import type { ZodType } from "zod";

/**
 * What a route accepts and answers, as zod schemas. The handler validates with `request`,
 * and the OpenAPI document is generated from the same objects, so the two cannot disagree.
 */
export interface RouteContract {
  readonly request?: {
    readonly body?: ZodType;
    readonly query?: ZodType;
    readonly params?: ZodType;
    /** Request headers the route reads (names in lower case), documented as header parameters. */
    readonly headers?: ZodType;
  };
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: ZodType }>>;
}
