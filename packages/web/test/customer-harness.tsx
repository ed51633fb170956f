/** What the customer pages' component tests share: a config, a signed-in customer, stubbed fetch and WebSocket. */
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { vi } from "vitest";
import { HaulProvider } from "../src/app-context.js";
import { saveSession } from "../src/auth/session.js";

/** The same configuration as the other role pages' tests. */
export { testConfig as config } from "./role-page-harness.js";
import { testConfig as config } from "./role-page-harness.js";

export const customerToken = "customer-token";

export function signInCustomer(): void {
  saveSession({ token: customerToken, userId: "c0000000-0000-4000-8000-000000000001", role: "customer", name: "Ada", expiresAt: 4102444800 });
}

export interface SeenRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A fetch that answers from `route` and records every request. */
export function stubFetch(route: (request: SeenRequest) => Response | Promise<Response>) {
  const requests: SeenRequest[] = [];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: SeenRequest = {
      url: new URL(String(input)),
      method: init.method ?? "GET",
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);
    return route(request);
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, requests };
}

export function json(status: number, body: unknown, correlationId = "corr-1"): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", "x-correlation-id": correlationId },
  });
}

/** Renders `page` at `path` (matched by `pattern`); any other route shows where the app went. */
export function renderPage(page: ReactElement, pattern: string, path: string, fetchImpl: typeof fetch) {
  return render(
    <HaulProvider config={config} fetchImpl={fetchImpl}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={pattern} element={page} />
          <Route path="*" element={<p data-testid="elsewhere">elsewhere</p>} />
        </Routes>
      </MemoryRouter>
    </HaulProvider>,
  );
}

/** Stands in for the browser's WebSocket; the test opens it and pushes frames. */
export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static instances: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  readonly sent: unknown[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }

  close(): void {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({});
  }

  accept(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.({});
  }

  push(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}
