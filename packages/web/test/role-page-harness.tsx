/**
 * Renders one page as a signed-in person against a stubbed fetch: each call is recorded, and the
 * reply is the first route whose method and path match (else 404 problem+json).
 */
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { HaulProvider } from "../src/app-context.js";
import { saveSession, type Role } from "../src/auth/session.js";
import type { WebConfig } from "../src/config.js";

export const testConfig: WebConfig = {
  stage: "test",
  apis: {
    reservation: "http://reservation.test",
    query: "http://query.test",
    notification: "http://notification.test",
    tracking: "http://tracking.test",
    observability: "http://observability.test",
    live: "ws://live.test/local",
  },
  auth: { kind: "local", issuer: "http://identity.test" },
  map: {},
};

export interface StubRoute {
  readonly method?: string;
  /** Matched against the URL's host and path, e.g. `query.test/drivers/d1/reservations`. */
  readonly path: string | RegExp;
  readonly status?: number;
  readonly body: unknown | ((url: URL, init: RequestInit) => unknown);
}

export interface Call {
  readonly method: string;
  readonly url: URL;
  readonly body: unknown;
}

export function stubFetch(routes: readonly StubRoute[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? "GET";
    calls.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const target = `${url.host}${url.pathname}`;
    const route = routes.find((candidate) => (candidate.method ?? "GET") === method && (typeof candidate.path === "string" ? candidate.path === target : candidate.path.test(target)));
    if (!route) return new Response(JSON.stringify({ title: "Not Found" }), { status: 404, headers: { "content-type": "application/problem+json" } });
    const body = typeof route.body === "function" ? (route.body as (url: URL, init: RequestInit) => unknown)(url, init) : route.body;
    return new Response(JSON.stringify(body), { status: route.status ?? 200, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

export function renderAs(role: Role, userId: string, page: ReactNode, options: { fetchImpl: typeof fetch; path?: string; route?: string }) {
  saveSession({ token: "test-token", userId, role, expiresAt: 4102444800 });
  return render(
    <HaulProvider config={testConfig} fetchImpl={options.fetchImpl}>
      <MemoryRouter initialEntries={[options.path ?? "/"]}>
        <Routes>
          <Route path={options.route ?? "*"} element={page} />
        </Routes>
      </MemoryRouter>
    </HaulProvider>,
  );
}
