// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import ReservePage from "../src/pages/customer/ReservePage.js";
import { json, renderPage, signInCustomer, stubFetch, type SeenRequest } from "./customer-harness.js";

const driverId = "d0000000-0000-4000-8000-000000000002";
const reservationId = "a0000000-0000-4000-8000-0000000000bb";

const available = (request: SeenRequest) =>
  json(200, {
    from: request.url.searchParams.get("from"),
    to: request.url.searchParams.get("to"),
    drivers: [{ driverId, name: "Bea Driver", truck: { id: "t0000000-0000-4000-8000-000000000002", plate: "B-HL 2", class: "medium", capacityKg: 7500 } }],
  });

const invalid = json(
  400,
  {
    title: "Invalid request",
    detail: "Some body fields are invalid.",
    "invalid-params": [
      { name: "body.cargo.weightKg", reason: "must be at most 7500 kg, the truck's capacity" },
      { name: "body.pickup.lat", reason: "must be at most 90" },
      { name: "body.window.start", reason: "must be in the future" },
    ],
  },
  "corr-400",
);

const show = (fetchImpl: typeof fetch) => renderPage(<ReservePage />, "/customer/reserve", "/customer/reserve", fetchImpl);

async function fillForm() {
  fireEvent.click(screen.getByRole("button", { name: "Find available drivers" }));
  fireEvent.click(await screen.findByRole("radio", { name: /Bea Driver: truck B-HL 2/ }));
  fireEvent.change(screen.getByLabelText("Weight (kg)"), { target: { value: "9000" } });
  fireEvent.change(screen.getByLabelText("Description"), { target: { value: "Pianos" } });
  const pickup = screen.getByRole("group", { name: "Pickup" });
  fireEvent.change(within(pickup).getByLabelText("Known place"), { target: { value: "Alexanderplatz 1, Berlin" } });
  fireEvent.change(within(pickup).getByLabelText(/Latitude/), { target: { value: "95" } });
  fireEvent.change(within(screen.getByRole("group", { name: "Dropoff" })).getByLabelText("Known place"), { target: { value: "Am Neuen Markt 1, Potsdam" } });
}

beforeEach(signInCustomer);
afterEach(cleanup);

describe("ReservePage", () => {
  it("shows each reason of a 400 problem next to its field, and a summary", async () => {
    const { fetchImpl, requests } = stubFetch((request) => (request.url.pathname === "/drivers/available" ? available(request) : invalid));
    show(fetchImpl);
    await fillForm();
    fireEvent.click(screen.getByRole("button", { name: "Reserve" }));

    const summary = await screen.findByRole("alert");
    expect(within(summary).getAllByRole("listitem")).toHaveLength(3);
    expect(within(summary).getByRole("link", { name: /Weight: must be at most 7500 kg/ }).getAttribute("href")).toBe("#cargo-weight");

    const expectError = (input: HTMLElement, reason: string) => {
      expect(input.getAttribute("aria-invalid")).toBe("true");
      const described = (input.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent);
      expect(described).toContain(reason);
    };
    expectError(screen.getByLabelText("Weight (kg)"), "must be at most 7500 kg, the truck's capacity");
    expectError(within(screen.getByRole("group", { name: "Pickup" })).getByLabelText(/Latitude/), "must be at most 90");
    expectError(screen.getByLabelText("Start (your local time)"), "must be in the future");
    expect(within(screen.getByRole("group", { name: "Dropoff" })).getByLabelText(/Latitude/).getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByLabelText("Description").getAttribute("aria-invalid")).toBeNull();

    const post = requests.find((request) => request.method === "POST")!;
    expect(post.url.href).toBe("http://reservation.test/reservations");
    expect(post.headers["idempotency-key"]).toMatch(/^[\x21-\x7E]{1,255}$/);
    expect(post.body).toMatchObject({
      driverId,
      cargo: { weightKg: 9000, description: "Pianos" },
      pickup: { address: "Alexanderplatz 1, Berlin", lat: 95, lon: 13.4094 },
      dropoff: { address: "Am Neuen Markt 1, Potsdam", lat: 52.3906, lon: 13.0645 },
    });
    const window = (post.body as { window: { start: string; end: string } }).window;
    expect(window.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(window.end)).toBeGreaterThan(Date.parse(window.start));
  });

  it("resends a retry with the same Idempotency-Key, and goes to the reservation on 202", async () => {
    let posts = 0;
    const { fetchImpl, requests } = stubFetch((request) => {
      if (request.url.pathname === "/drivers/available") return available(request);
      return ++posts === 1 ? json(503, { title: "Service unavailable" }) : json(202, { reservationId, status: "PENDING", links: { self: "", cancel: "" } });
    });
    show(fetchImpl);
    await fillForm();
    fireEvent.change(within(screen.getByRole("group", { name: "Pickup" })).getByLabelText(/Latitude/), { target: { value: "52.5208" } });
    fireEvent.click(screen.getByRole("button", { name: "Reserve" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Service unavailable/);
    fireEvent.click(screen.getByRole("button", { name: "Reserve" }));
    expect(await screen.findByTestId("elsewhere")).toBeTruthy();
    const keys = requests.filter((request) => request.method === "POST").map((request) => request.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("asks for a driver before sending, and shows the availability query's reasons at the window", async () => {
    const { fetchImpl, requests } = stubFetch(() =>
      json(400, { title: "Invalid request", "invalid-params": [{ name: "query.to", reason: "must be after from" }] }),
    );
    show(fetchImpl);
    fireEvent.click(screen.getByRole("button", { name: "Reserve" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Driver: choose one of the available drivers/);
    expect(requests).toHaveLength(0);

    fireEvent.click(screen.getByRole("button", { name: "Find available drivers" }));
    expect(await screen.findByText("must be after from")).toBeTruthy();
    expect(screen.getByLabelText("End (your local time)").getAttribute("aria-invalid")).toBe("true");
  });
});
