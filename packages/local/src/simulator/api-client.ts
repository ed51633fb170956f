/**
 * The few calls a driver's and a customer's app make, as the simulator, the load test and the demo
 * make them: plain HTTP to the deployed or local APIs with a bearer token. A 503 or a refused
 * connection is retried (after Retry-After when given, at most `maxAttempts` tries): the APIs
 * promise that re-sending is safe. Any other refusal is an ApiError carrying the problem+json.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; [key: string]: unknown },
    what: string,
  ) {
    super(`${what} answered ${status}: ${problem.title ?? ""}${problem.detail ? ` (${problem.detail})` : ""}`);
    this.name = "ApiError";
  }
}

export interface CallOptions {
  readonly token: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Tries for a 503 or a failed connection, the first included; default 5. */
  readonly maxAttempts?: number;
  /** Longest wait between tries, whatever Retry-After says; default 5 s. */
  readonly maxRetryDelayMs?: number;
}

export interface CallResult<T> {
  readonly status: number;
  readonly body: T;
  readonly attempts: number;
}

export async function callApi<T = unknown>(method: "GET" | "POST", url: string, options: CallOptions): Promise<CallResult<T>> {
  const maxAttempts = options.maxAttempts ?? 5;
  const maxDelay = options.maxRetryDelayMs ?? 5_000;
  const what = `${method} ${new URL(url).pathname}`;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      if (attempt >= maxAttempts) throw error;
      await delay(Math.min(maxDelay, 200 * 2 ** attempt));
      continue;
    }
    const text = await response.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.ok) return { status: response.status, body: body as T, attempts: attempt };
    if (response.status === 503 && attempt < maxAttempts) {
      const retryAfterSeconds = Number(response.headers.get("retry-after"));
      await delay(Math.min(maxDelay, Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 500 * attempt));
      continue;
    }
    throw new ApiError(response.status, (body ?? {}) as ApiError["problem"], what);
  }
}

const delay = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
