/**
 * Calls a Haul API as the signed-in person: bearer token, JSON in and out, and every refusal as an
 * `ApiProblem` carrying RFC 9457's fields (with `invalid-params`, so forms can show each field's
 * reason next to it) and the correlation id that finds the request in the operators' log search.
 */
export interface FieldProblem {
  readonly name: string;
  readonly reason: string;
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    readonly fields: readonly FieldProblem[],
    readonly correlationId: string | undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiProblem";
  }

  /** The reason given for a field (`body.cargo.weightKg`, `query.from`...), matched by its last part too. */
  reasonFor(field: string): string | undefined {
    return this.fields.find((problem) => problem.name === field || problem.name.endsWith(`.${field}`))?.reason;
  }
}

export interface ApiReply<T> {
  readonly status: number;
  readonly data: T;
  readonly correlationId: string | undefined;
}

export interface RequestOptions {
  readonly method?: "GET" | "POST";
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export type TokenSource = () => string | undefined;

export function createApiClient(baseUrl: string, token: TokenSource, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
  return async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiReply<T>> {
    const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    const bearer = token();
    const response = await fetchImpl(url, {
      method: options.method ?? "GET",
      headers: {
        accept: "application/json, application/problem+json",
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const correlationId = response.headers.get("x-correlation-id") ?? undefined;
    const text = await response.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const problem = (parsed ?? {}) as { title?: string; detail?: string; message?: string; "invalid-params"?: FieldProblem[] };
      throw new ApiProblem(
        response.status,
        problem.title ?? problem.message ?? response.statusText ?? "Request failed",
        problem.detail,
        problem["invalid-params"] ?? [],
        correlationId,
      );
    }
    return { status: response.status, data: parsed as T, correlationId };
  };
}

export type ApiRequest = ReturnType<typeof createApiClient>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { title: text.slice(0, 200) };
  }
}
